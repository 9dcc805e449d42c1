"""The nginx configuration of the replicas: every placeholder filled, and nginx accepts it."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tools.balancer import COOKIE, render


def test_render_fills_every_placeholder(tmp_path):
    text = render(8501, ["127.0.0.1:8502", "127.0.0.1:8503"], tmp_path, "/dev/null", "stderr")
    assert "@" not in text
    assert "server 127.0.0.1:8502;" in text and "server 127.0.0.1:8503;" in text
    assert "listen 8501;" in text
    assert f"pid {tmp_path}/nginx.pid;" in text
    # Sticky by the cookie nginx sets, not by the learner's address.
    assert "hash $replica_key consistent;" in text and "ip_hash;" not in text
    assert f"$cookie_{COOKIE}" in text and f'"{COOKIE}=$request_id;' in text


def test_nginx_accepts_the_rendered_configuration(tmp_path):
    nginx = shutil.which("nginx")
    if nginx is None:
        pytest.skip("nginx is not installed; run scripts/install-nginx to enable")
    config = tmp_path / "nginx.conf"
    error_log = tmp_path / "error.log"
    config.write_text(
        render(8501, ["127.0.0.1:8502"], tmp_path, str(tmp_path / "access.log"), str(error_log))
    )
    checked = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(config), "-e", str(error_log)],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
