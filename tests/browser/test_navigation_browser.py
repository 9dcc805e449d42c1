"""Navigation: the sidebar lists the pages in teaching order, and a page's own address works."""

import pytest
from browserkit import EXCEPTION, no_exceptions, wait_idle

pytestmark = pytest.mark.browser

NAV_TITLES = [
    "The whole network",
    "Convolution lab",
    "Forward pass, step by step",
    "Backpropagation, step by step",
    "CNN against a plain network",
]


def nav_titles(page) -> list[str]:
    links = page.locator('[data-testid="stSidebarNavLink"]').all_inner_texts()
    return [link.split("\n")[-1].strip() for link in links]


def test_a_first_visit_to_a_page_address_opens_that_page_inside_the_app(fresh_server_url, page):
    page.goto(f"{fresh_server_url}/conv_lab")
    page.get_by_role("heading", name="Convolution lab: padding, stride and dilation").wait_for(
        timeout=120_000
    )
    wait_idle(page)
    assert nav_titles(page) == NAV_TITLES  # app.py's navigation, not a list of file names
    no_exceptions(page)


def test_every_page_opens_from_the_sidebar(server_url, page):
    page.goto(server_url)
    wait_idle(page)
    assert nav_titles(page) == NAV_TITLES
    for title in NAV_TITLES[1:]:
        page.locator('[data-testid="stSidebarNavLink"]', has_text=title).click()
        page.wait_for_timeout(300)
        wait_idle(page)
        assert page.locator(EXCEPTION).count() == 0, title
        assert page.locator("h1").count() >= 1, title
