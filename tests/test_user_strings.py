"""Strings from the learner (file names, class folder names, what a model file says) reach the
screen as text, never as Markdown, HTML or plotly markup.

Streamlit reads Markdown (and its own :colour[...] marks) in st.markdown, st.caption, the
st.info/error/warning/success boxes and widget labels; plotly reads <b>, <br>, <a href=...>,
entities and "%{...}" in every text of a figure. The helpers are checked on their own, then
pages are driven with hostile names.
"""

from __future__ import annotations

import html
import io
import json
import re
import string
import zipfile

import numpy as np
import pytest
import torch
from pagekit import app, charts
from PIL import Image

from cnnexplain.figures import backprop as figures_backprop
from cnnexplain.figures import compare as figures_compare
from cnnexplain.figures import forward as figures_forward
from cnnexplain.figures import maps as figures
from cnnexplain.texts import compare as compare_text
from cnnexplain.texts import conv_lab as lab_text
from cnnexplain.texts import forward as forward_text
from cnnexplain.ui.kit.widgets import WORD_JOINER, escape_markdown

NAME = "<img src=x onerror=alert(1)>**bold**[a](javascript:x).png"
# Class folders: a folder's name cannot hold "/", so the HTML tags here stay unclosed; plotly
# would still draw them (a bold "cat", a line break before "fish").
CLASSES = ("<b>cat", "**dog**", "%{x} $y$<br>fish")
HOSTILE = [
    NAME,
    string.punctuation,
    "line one\nline two\r\n# heading\t- item",
    ":red[red] :material/home: :smile: $x^2$",
    "www.example.com http://example.com HTTPS://x.y mail@example.com",
    "&amp; &#60;b&#62; \\*not italic\\*",
    *CLASSES,
]
SPECIAL = set(string.punctuation)


def unescape_markdown(text: str) -> str:
    """What CommonMark shows for escape_markdown's output: backslashes and joiners gone."""
    return re.sub(r"\\(.)", r"\1", text).replace(WORD_JOINER, "")


def only_escaped(text: str) -> bool:
    """True when every ASCII punctuation character in `text` is escaped by a backslash."""
    i = 0
    while i < len(text):
        if text[i] == "\\":
            if i + 1 >= len(text) or text[i + 1] not in SPECIAL:
                return False
            i += 2
            continue
        if text[i] in SPECIAL:
            return False
        i += 1
    return True


def strings(value) -> list[str]:
    """Every string inside a chart's JSON."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def markdown_read(at) -> str:
    """Everything on the page that Streamlit reads as Markdown, joined."""
    boxes = [*at.markdown, *at.caption, *at.info, *at.error, *at.warning, *at.success]
    labels = [
        w.label for kind in ("radio", "selectbox", "number_input", "slider") for w in at.get(kind)
    ]
    return "\n".join([b.value for b in boxes] + labels)


def png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# The two helpers


def test_escape_markdown_leaves_no_special_character_unescaped():
    assert escape_markdown(NAME) == (
        r"\<img src\=x onerror\=alert\(1\)\>\*\*bold\*\*\[a\]\(javascript\:"
        + WORD_JOINER
        + r"x\)\.png"
    )
    for text in HOSTILE:
        escaped = escape_markdown(text)
        assert only_escaped(escaped), escaped
        assert "\n" not in escaped and "\r" not in escaped and "\t" not in escaped
        # Shown, it reads as the original, with line breaks and tabs as spaces.
        assert unescape_markdown(escaped) == re.sub(r"[\r\n\t]+", " ", text)


def test_escape_markdown_keeps_addresses_and_emoji_codes_plain():
    # Markdown finds these after undoing the escapes: a word joiner inside each stops it.
    escaped = escape_markdown("www.example.com http://e.org a@b.co :smile:")
    assert escaped == (
        f"www{WORD_JOINER}\\.example\\.com http\\:{WORD_JOINER}\\/\\/e\\.org "
        f"a\\@{WORD_JOINER}b\\.co \\:{WORD_JOINER}smile\\:{WORD_JOINER}"
    )


def test_plotly_literal_escapes_what_plotly_reads_and_nothing_is_lost():
    assert figures.plotly_literal("<b>%{x}</b> $y$ & co") == (
        "&lt;b&gt;&#37;{x}&lt;/b&gt; &#36;y&#36; &amp; co"
    )
    for text in HOSTILE:
        shown = figures.plotly_literal(text)
        assert not {"<", ">", "%", "$"} & set(shown)
        assert html.unescape(shown) == text  # plotly turns the entities back into characters


# ---------------------------------------------------------------------------------------------
# Figure builders that take class names


def no_raw(fig_json: dict, *raw: str) -> None:
    texts = strings(fig_json)
    for value in raw:
        assert not any(value in t for t in texts), value


def test_every_figure_builder_escapes_class_names():
    labels = [figures.plotly_literal(c) for c in CLASSES]
    raw = ("<b>cat", "<br>fish", "%{x} $y$")  # the names as they are: in no string at all

    fig = figures.vector(np.arange(3.0), labels=CLASSES).to_plotly_json()
    assert list(fig["data"][0]["x"]) == labels
    no_raw(fig, *raw)

    fig = figures_backprop.bars(np.arange(3.0), labels=CLASSES).to_plotly_json()
    assert list(fig["data"][0]["x"]) == labels
    fig = figures_backprop.grouped_bars(
        {"p": np.ones(3), "one-hot": np.eye(3)[0]}, labels=CLASSES
    ).to_plotly_json()
    assert all(list(trace["x"]) == labels for trace in fig["data"])
    no_raw(fig, *raw)

    fig = figures_forward.vector_strip(
        np.arange(3.0), highlight=0, name="logits", labels=CLASSES
    ).to_plotly_json()
    assert list(fig["data"][0]["x"]) == labels
    fig = figures_forward.onehot(1, CLASSES, title="one-hot").to_plotly_json()
    assert list(fig["data"][0]["y"]) == labels
    no_raw(fig, *raw)

    fig = figures_compare.confusion(
        np.eye(3, dtype=np.int64),
        CLASSES,
        title="t",
        true_title="true",
        said_title="said",
        share_title="share",
    ).to_plotly_json()
    assert list(fig["data"][0]["x"]) == list(fig["data"][0]["y"]) == labels
    no_raw(fig, *raw)

    titles = [f"{CLASSES[0]} → {CLASSES[2]}"]
    hovers = [["picture 0", f"true class: {CLASSES[2]}"]]
    fig = figures_compare.picture_grid(np.zeros((1, 1, 4, 4)), titles, hovers).to_plotly_json()
    assert fig["layout"]["annotations"][0]["text"] == figures.plotly_literal(titles[0])
    template = fig["data"][0]["hovertemplate"]
    assert template == (
        "picture 0<br>true class: &#37;{x} &#36;y&#36;&lt;br&gt;fish<extra></extra>"
    )
    no_raw(fig, "<b>", "%{x} ", "$y$", "<br>fish")


# ---------------------------------------------------------------------------------------------
# Pages


def test_an_uploaded_file_name_is_escaped_in_the_convolution_lab():
    at = app().switch_page("pages/conv_lab.py").run()
    at.radio(key="lab_source").set_value("upload").run()
    raw = png(np.random.default_rng(0).integers(0, 256, (20, 20), dtype=np.uint8))
    at.file_uploader(key="lab_upload").set_value((NAME, raw, "image/png")).run()
    assert not at.exception and not at.error
    note = lab_text.UPLOAD_SHOWN.format(name=escape_markdown(NAME), size=16)
    assert note in [c.value for c in at.caption]
    assert NAME not in markdown_read(at) and "**bold**" not in markdown_read(at)
    # Shown, the escaped name reads as the file's own name, in bold.
    assert unescape_markdown(note) == f"Using **{NAME}**, shrunk to 16×16 gray pixels."


def test_an_uploaded_file_name_never_reaches_the_forward_page_as_markdown():
    at = app().switch_page("pages/forward.py").run()
    at.radio(key="input_source").set_value("upload").run()
    picture = np.zeros((60, 60), np.uint8)
    picture[10:50, 25:35] = 255
    at.file_uploader(key="input_upload").set_value((NAME, png(picture), "image/png")).run()
    assert not at.exception and not at.error
    assert at.session_state["input_uploaded"]["name"] == NAME  # read, kept ...
    read = markdown_read(at)
    assert "onerror" not in read and "**bold**" not in read  # ... and never shown as Markdown
    assert forward_text.OVERVIEW_HEADER in [h.value for h in at.subheader]  # the picture went in


def class_zip() -> bytes:
    """Five pictures in each of the CLASSES folders, each class a different stripe."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for k, name in enumerate(CLASSES):
            for i in range(5):
                picture = np.zeros((28, 28), np.uint8)
                picture[4 + 8 * k : 8 + 8 * k, 2 + i : 26 - i] = 255
                archive.writestr(f"{name}/{i}.png", png(picture))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def trained_on_odd_classes():
    at = app().switch_page("pages/compare.py").run()
    at.radio(key="cmp_source").set_value("zip").run()
    zip_name = NAME.replace(".png", ".zip")
    at.file_uploader(key="cmp_zip").set_value((zip_name, class_zip(), "application/zip")).run()
    assert not at.exception and not at.error
    at.number_input(key="cmp_epochs").set_value(1)
    at.number_input(key="cmp_batch").set_value(4).run()
    at.button(key="cmp_run").click().run()
    assert not at.exception
    return at


def test_class_folder_names_are_text_in_tables_and_escaped_in_charts(trained_on_odd_classes):
    at = trained_on_odd_classes
    names = sorted(CLASSES)  # class k is the k-th folder in sorted order
    assert at.session_state["cmp_own_data"].report.class_names == tuple(names)
    # The table of classes holds the names as they are: dataframes show plain text.
    classes = next(df.value for df in at.dataframe if compare_text.COL_CLASS in df.value.columns)
    assert classes[compare_text.COL_CLASS].tolist() == names
    # Both confusion matrices label their rows and columns with the escaped names.
    confusions = [
        c
        for c in charts(at)
        if c["data"] and c["data"][0].get("type") == "heatmap" and "customdata" in c["data"][0]
    ]
    assert len(confusions) == 2
    escaped = [figures.plotly_literal(n) for n in names]
    for chart in confusions:
        assert chart["data"][0]["x"] == escaped and chart["data"][0]["y"] == escaped
    for chart in charts(at):
        no_raw(chart, "<b>cat", "<br>fish", "%{x} $y$")
    # Nothing read as Markdown quotes a class or the zip's name.
    read = markdown_read(at)
    for raw in (*CLASSES, "onerror", "**bold**"):
        assert raw not in read


def test_what_a_model_file_says_is_shown_as_text(trained_on_odd_classes):
    at = trained_on_odd_classes
    spec = json.dumps({"type": "mlp", NAME: 1})
    buffer = io.BytesIO()
    torch.save({"format": "cnnexplain-model", "version": 1, "spec": spec, "state_dict": {}}, buffer)
    at.file_uploader(key="cmp_model_upload").set_value(
        (NAME.replace(".png", ".pt"), buffer.getvalue(), "application/octet-stream")
    ).run()
    assert not at.exception
    assert [e.value for e in at.error] == [compare_text.MODEL_REFUSED]
    message = at.text[-1].value
    assert message.startswith("The architecture in this file cannot be built: Unknown field(s) ")
    assert repr(NAME) in message  # quoted as it is, in a plain-text element
    assert "onerror" not in markdown_read(at)
