"""Many learners on one server at once, in one real browser: the load test's journeys.

Every learner is its own browser context (its own cookies, its own Streamlit session) in one
Debian Chromium, all driven together from one asyncio loop. A learner's journey is the app's
main path: upload a picture of a digit and step the forward pass, take backpropagation steps,
run a short CNN-against-ANN comparison, then come back to the forward page and find it as they
left it. Each learner makes different choices (label, how far to step), so a learner who saw
another's state would notice.
"""

from __future__ import annotations

import asyncio
import io
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from browserkit import APP_IDLE, EXCEPTION

from cnnexplain.texts import compare as compare_text
from cnnexplain.texts import forward as forward_text
from cnnexplain.texts import predict as predict_text
from tools.server import CHROMIUM_ARGS, chromium_path

TIMEOUT_MS = 300_000  # one action on a machine this busy; a comparison is the slowest
ERROR_ELEMENTS = f'{EXCEPTION}, [data-testid="stAlertContentError"]'

HOME_READY = "Stage by stage"
FORWARD_LINK = "Forward pass, step by step"
FORWARD_TITLE = "Forward pass, step by step"
BACKPROP_LINK = "Backpropagation, step by step"
COMPARE_LINK = "CNN against a plain network"
POOL_ASKED = re.compile(r"keeps one number of each \d+×\d+ window")  # predict_text.POOL_QUESTION
FORWARD_STAGES = ("input", "conv1", "relu1", "maxpool1", "conv2", "relu2", "maxpool2")


@dataclass(frozen=True)
class Learner:
    """One learner's choices, different for each so that mixed-up sessions would show."""

    index: int
    label: int  # the true label they give their picture
    forward_steps: int  # how many times they press Next on the forward page
    backprop_steps: int  # how many backpropagation steps they take
    compare: bool = True  # run a one-epoch comparison

    @classmethod
    def numbered(cls, index: int, backprop_steps: int = 2, compare: bool = True) -> Learner:
        return cls(
            index=index,
            label=index % 10,
            forward_steps=1 + index % (len(FORWARD_STAGES) - 1),
            backprop_steps=backprop_steps + index % 2,
            compare=compare,
        )

    @property
    def file_name(self) -> str:
        return f"learner-{self.index}-digit-{self.label}.png"

    def picture(self) -> bytes:
        """A dark digit-like stroke on light paper, different for every learner."""
        from PIL import Image, ImageDraw

        rng = random.Random(self.index)
        img = Image.new("L", (160, 160), 230)
        draw = ImageDraw.Draw(img)
        points = [(rng.randint(30, 130), rng.randint(25, 135)) for _ in range(4)]
        draw.line(points, fill=25, width=14)
        out = io.BytesIO()
        img.save(out, format="PNG")
        return out.getvalue()


@dataclass
class Outcome:
    """What one learner saw."""

    learner: Learner
    forward_heading: str = ""  # the stage heading shown when they came back
    label_text: str = ""  # what the forward page said about their true label
    steps_taken: int = -1  # the backpropagation page's step count
    compared: bool = False  # the comparison finished and showed its results
    errors: list[str] = field(default_factory=list)  # error elements' texts, anywhere


async def _idle(page) -> None:
    await page.wait_for_selector(APP_IDLE, timeout=TIMEOUT_MS)


async def _open(page, link: str, heading: str | None = None) -> None:
    await page.get_by_role("link", name=link).click()
    if heading is not None:
        await page.get_by_role("heading", name=heading).first.wait_for(timeout=TIMEOUT_MS)
    await _idle(page)


async def _errors(page) -> list[str]:
    return [await e.inner_text() for e in await page.locator(ERROR_ELEMENTS).all()]


async def _think(rng: random.Random, think_s: float) -> None:
    """A learner reads before the next click."""
    if think_s > 0:
        await asyncio.sleep(rng.uniform(0.5 * think_s, 1.5 * think_s))


async def forward_journey(page, learner: Learner, picture: Path) -> None:
    """Upload the picture, give it the learner's label, press Next `forward_steps` times."""
    await _open(page, FORWARD_LINK, FORWARD_TITLE)
    await page.get_by_text("upload your own", exact=True).click()
    await _idle(page)
    await page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        str(picture)
    )
    await page.get_by_text("Your picture", exact=True).wait_for(timeout=TIMEOUT_MS)
    await _idle(page)
    await _skip_predictions(page)  # Simple asks for the network's answer before it says it
    await page.locator('[data-testid="stSelectbox"]').filter(has_text="True label").click()
    await page.get_by_role("option", name=str(learner.label), exact=True).click()
    await page.get_by_text(f"The true label is {learner.label}").wait_for(timeout=TIMEOUT_MS)
    await _idle(page)
    for n in range(2, learner.forward_steps + 2):
        await page.get_by_role("button", name=forward_text.NEXT).click()
        # A max-pool stage first asks which number of a window wins: skip it to see the stage.
        asked = page.get_by_text(POOL_ASKED)
        await _stage_heading(page, n).or_(asked).first.wait_for(timeout=TIMEOUT_MS)
        await _idle(page)
        await _skip_predictions(page)
        await _stage_heading(page, n).wait_for(timeout=TIMEOUT_MS)


async def _skip_predictions(page) -> None:
    """Skip every open "predict, then see" question (Simple asks before it shows)."""
    from playwright.async_api import expect

    skips = page.locator('[data-testid="stMain"]').get_by_role(
        "button", name=predict_text.SKIP, exact=True
    )
    for left in range(await skips.count() - 1, -1, -1):
        await skips.first.click()
        await expect(skips).to_have_count(left, timeout=TIMEOUT_MS)
    await _idle(page)


def _stage_heading(page, n: int):
    """The heading of stage n (1-based), whatever its name."""
    return page.locator("h3").filter(has_text=re.compile(rf"^{n}\. \w+:"))


async def backprop_journey(page, learner: Learner, rng: random.Random, think_s: float) -> None:
    """Take `backprop_steps` steps on the page's own picture, reading a little between them."""
    await _open(page, BACKPROP_LINK, "Backpropagation, one step at a time")
    for number in range(1, learner.backprop_steps + 1):
        await _think(rng, think_s)
        await page.get_by_role("button", name="Step", exact=True).click()
        await page.get_by_text(f"Loss after step {number}", exact=True).wait_for(timeout=TIMEOUT_MS)
        await _idle(page)


async def compare_journey(page) -> None:
    """A one-epoch comparison of the CNN and the ANN, to its results."""
    text = compare_text
    await _open(page, COMPARE_LINK, text.TITLE)
    box = page.get_by_label(text.EPOCHS, exact=True)
    await box.fill("1")
    await box.press("Enter")
    await _idle(page)
    await page.get_by_role("button", name=text.RUN).click()
    await page.get_by_role("heading", name=text.RESULTS_HEADER).wait_for(timeout=TIMEOUT_MS)
    await _idle(page)


async def journey(
    browser, url: str, learner: Learner, folder: Path, think_s: float, shot: Path | None = None
) -> Outcome:
    """One learner's whole visit, in their own browser context; `shot`: save the last page."""
    outcome = Outcome(learner)
    picture = folder / learner.file_name
    picture.write_bytes(learner.picture())
    rng = random.Random(1000 + learner.index)
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)  # clicks too wait while the machine is busy
    try:
        page = await context.new_page()
        await page.goto(url)
        await page.get_by_text(HOME_READY, exact=True).wait_for(timeout=TIMEOUT_MS)
        await _idle(page)
        await forward_journey(page, learner, picture)
        outcome.errors += await _errors(page)
        await backprop_journey(page, learner, rng, think_s)
        outcome.errors += await _errors(page)
        steps = re.search(r"Steps taken: (\d+)", await page.inner_text("main"))
        outcome.steps_taken = int(steps.group(1)) if steps else -1
        if learner.compare:
            await compare_journey(page)
            outcome.compared = True
            outcome.errors += await _errors(page)
        # Back to the forward page: it shows what this learner left there.
        await _open(page, FORWARD_LINK, FORWARD_TITLE)
        heading = page.locator("h3").filter(has_text=re.compile(r"^\d+\. \w+:"))
        outcome.forward_heading = (await heading.first.inner_text()).strip()
        main = await page.inner_text("main")
        said = re.search(r"The true label is \d+", main)
        outcome.label_text = said.group(0) if said else ""
        outcome.errors += await _errors(page)
        if shot is not None:
            await page.screenshot(path=str(shot))
    finally:
        await context.close()
    return outcome


async def default_answer(browser, url: str) -> str:
    """What the shared default model says about the page's own test picture, at the loss stage.

    Every number there comes from the shared model, so any change to it would show.
    """
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)  # clicks too wait while the machine is busy
    try:
        page = await context.new_page()
        await page.goto(url)
        await page.get_by_text(HOME_READY, exact=True).wait_for(timeout=TIMEOUT_MS)
        await _open(page, FORWARD_LINK, FORWARD_TITLE)
        stage = page.get_by_role("combobox", name=forward_text.STAGE, exact=True)
        await stage.click()
        await stage.press_sequentially("loss")  # the list opens on typing; the last stage
        await page.get_by_role("option", name=re.compile(r"^\d+\. loss:")).click()
        await _idle(page)
        await page.get_by_text("The loss is").first.wait_for(timeout=TIMEOUT_MS)  # either level
        return await page.inner_text("main")
    finally:
        await context.close()


def _shot(shots: Path | None, learner: Learner) -> Path | None:
    if shots is None or learner.index > 1:
        return None
    shots.mkdir(exist_ok=True)
    return shots / f"load-learner-{learner.index}.png"


@dataclass
class LoadRun:
    """A load run: the shared model's answer before and after, and what each learner saw."""

    before: str
    outcomes: list[Outcome]
    after: str


async def load_run(
    url: str, learners: list[Learner], folder: Path, think_s: float, shots: Path | None = None
) -> LoadRun:
    """Every learner's journey at the same time, in one browser, between two looks at the
    shared default model. With `shots`, the first two learners' last pages are saved there."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            before = await default_answer(browser, url)
            outcomes = await asyncio.gather(
                *(
                    journey(browser, url, one, folder, think_s, _shot(shots, one))
                    for one in learners
                )
            )
            after = await default_answer(browser, url)
        finally:
            await browser.close()
    return LoadRun(before, list(outcomes), after)
