"""The server's upload limit is what the app needs, and every upload box says its own."""

import tomllib
from pathlib import Path

from pagekit import app

from cnnexplain.io.images import MAX_UPLOAD_MB
from cnnexplain.io.modelfile import MAX_MODEL_BYTES
from cnnexplain.io.userdata import MAX_ARCHIVE_BYTES, limit_fields
from cnnexplain.texts import compare as compare_text

CONFIG = Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml"
MB = 2**20


def uploaders(at) -> dict[str, object]:
    return {u.proto.id.rsplit("-", 1)[-1]: u.proto for u in at.get("file_uploader")}


def boxes_on_every_page() -> dict[str, object]:
    found = {}
    at = app()
    at.switch_page("pages/forward.py").run()
    at.radio(key="input_source").set_value("upload").run()
    found |= uploaders(at)
    at.switch_page("pages/conv_lab.py").run()
    at.radio(key="lab_source").set_value("upload").run()
    found |= uploaders(at)
    at.switch_page("pages/compare.py").run()
    found |= uploaders(at)
    at.radio(key="cmp_source").set_value("zip").run()
    found |= uploaders(at)
    assert not at.exception
    return found


def test_the_server_takes_the_largest_upload_the_app_needs_and_no_more():
    server_mb = tomllib.loads(CONFIG.read_text())["server"]["maxUploadSize"]
    boxes = boxes_on_every_page()
    assert set(boxes) == {"input_upload", "lab_upload", "cmp_zip", "cmp_model_upload"}
    limits = {key: box.max_upload_size_mb for key, box in boxes.items()}
    assert limits["cmp_zip"] == MAX_ARCHIVE_BYTES // MB
    assert limits["cmp_model_upload"] == MAX_MODEL_BYTES // MB
    assert limits["input_upload"] == limits["lab_upload"] == MAX_UPLOAD_MB
    assert server_mb == max(limits.values())


def test_every_upload_box_says_its_limit():
    boxes = boxes_on_every_page()
    for key in ("input_upload", "lab_upload", "cmp_model_upload"):
        assert f"up to {boxes[key].max_upload_size_mb} MB" in boxes[key].label, key
    zip_limits = compare_text.ZIP_LIMITS.format(**limit_fields())
    assert f"at most {MAX_ARCHIVE_BYTES // MB} MB" in zip_limits
