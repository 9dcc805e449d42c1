"""Several app servers behind nginx on this machine: `python -m tools.balancer --replicas N`.

`make class N=2 PORT=8501` runs it for a class: N replicas on the ports after PORT, nginx on
PORT in front of them (deploy/nginx.conf.template), every one stopped together on Ctrl-C. The
replica test and the replica bench start the same thing on free ports.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tools.server import ROOT, free_port, serving, wait_healthy

TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
COOKIE = "cnnexplain_replica"  # the cookie that keeps a browser on one replica
LOG_LINE = re.compile(
    r'"(?P<request>[^"]*)" (?P<status>\d+) replica=(?P<replica>.+) key=(?P<key>\S+)$'
)


@dataclass(frozen=True)
class Logged:
    """One request in nginx's access log (a WebSocket's line is written when it closes)."""

    request: str  # "GET /_stcore/stream HTTP/1.1"
    status: int
    replica: str  # host:port of the replica that answered ("-" when none did)
    key: str  # the learner's replica cookie, or the id that became it


@dataclass(frozen=True)
class Balancer:
    """A running nginx: the address learners open and its access log."""

    url: str
    access_log: Path
    process: subprocess.Popen

    def logged(self) -> list[Logged]:
        """Every request nginx has logged so far."""
        found = []
        for line in self.access_log.read_text().splitlines():
            if m := LOG_LINE.search(line):
                found.append(Logged(m["request"], int(m["status"]), m["replica"], m["key"]))
        return found


def nginx_path() -> str:
    path = shutil.which("nginx")
    if path is None:
        raise RuntimeError("nginx is needed: run scripts/install-nginx")
    return path


def render(
    listen: int, upstreams: Sequence[str], runtime: Path, access_log: str, error_log: str
) -> str:
    """The nginx configuration for `upstreams` ("host:port" each), listening on `listen`."""
    servers = "\n        ".join(f"server {address};" for address in upstreams)
    filled = {
        "@LISTEN@": str(listen),
        "@SERVERS@": servers,
        "@RUNTIME@": str(runtime),
        "@ACCESS_LOG@": access_log,
        "@ERROR_LOG@": error_log,
    }
    text = TEMPLATE.read_text()
    for placeholder, value in filled.items():
        text = text.replace(placeholder, value)
    return text


def wait_listening(port: int, proc: subprocess.Popen, error_log: Path, seconds: float = 30) -> None:
    """Return once something accepts connections on `port`; raise with nginx's errors if not."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.05)
    errors = error_log.read_text() if error_log.exists() else ""
    raise RuntimeError(f"nginx did not start: {errors.strip()}")


def _stop(proc: subprocess.Popen) -> None:
    # SIGTERM is nginx's fast shutdown; its graceful one would wait for every WebSocket to close.
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def balancing(
    upstreams: Sequence[str], listen: int | None = None, folder: Path | None = None
) -> Iterator[Balancer]:
    """nginx in the foreground in front of `upstreams`, on `listen` (a free port by default).

    Its configuration, temporary files and logs go in `folder`, or in a temporary folder that
    is removed on exit.
    """
    listen = free_port() if listen is None else listen
    with contextlib.ExitStack() as stack:
        if folder is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cnnexplain-")))
        folder.mkdir(parents=True, exist_ok=True)
        # Run as root, nginx's workers drop to `nobody`, who must reach the temporary files.
        folder.chmod(0o755)
        access_log, error_log = folder / "access.log", folder / "error.log"
        config = folder / "nginx.conf"
        config.write_text(render(listen, upstreams, folder, str(access_log), str(error_log)))
        command = [nginx_path(), "-p", str(folder), "-c", str(config), "-e", str(error_log)]
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        try:
            wait_listening(listen, proc, error_log)
            yield Balancer(f"http://127.0.0.1:{listen}", access_log, proc)
        finally:
            _stop(proc)


@contextlib.contextmanager
def replicas(
    count: int, logs: Path, ports: Sequence[int] | None = None
) -> Iterator[list[tuple[str, subprocess.Popen]]]:
    """`count` app servers, answering, each logging to logs/replica-<i>.log; stopped on exit."""
    logs.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        started = []
        for i in range(count):
            log = stack.enter_context(open(logs / f"replica-{i}.log", "w"))
            port = None if ports is None else ports[i]
            started.append(stack.enter_context(serving(log, port)))
        for url, proc in started:  # they start together; waiting on each in turn is enough
            wait_healthy(url, proc)
        yield started


def upstream(url: str) -> str:
    """host:port of a replica's url, as nginx's upstream block and access log write it."""
    return url.removeprefix("http://")


@contextlib.contextmanager
def replicated(
    count: int, folder: Path, port: int | None = None
) -> Iterator[tuple[Balancer, list[tuple[str, subprocess.Popen]]]]:
    """`count` replicas and nginx in front of them, on `port` (a free one by default) and with
    the replicas on the ports just after it; every log in `folder`."""
    ports = None if port is None else [port + 1 + i for i in range(count)]
    with (
        replicas(count, folder, ports) as started,
        balancing([upstream(url) for url, _ in started], port, folder) as balancer,
    ):
        yield balancer, started


def _serve_class(count: int, port: int, folder: Path) -> None:
    """Serve until Ctrl-C (or SIGTERM), or until one of the processes stops on its own."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with replicated(count, folder, port) as (balancer, started):
        print(f"{count} replicas behind {balancer.url}, logs in {folder}; Ctrl-C stops them all")
        processes = [balancer.process, *(proc for _, proc in started)]
        while all(proc.poll() is None for proc in processes):
            time.sleep(1)
        raise SystemExit("a replica or nginx stopped; see the logs")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.balancer", description=__doc__)
    parser.add_argument("--replicas", type=int, default=2, help="app servers (one per core)")
    parser.add_argument("--port", type=int, default=8501, help="the port learners open")
    parser.add_argument("--logs", type=Path, help="folder for the logs (default: a new one)")
    args = parser.parse_args(argv)
    folder = args.logs or Path(tempfile.mkdtemp(prefix="cnnexplain-class-"))
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how a class ends
        _serve_class(args.replicas, args.port, folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
