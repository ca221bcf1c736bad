"""Planning variants in the list view, in a real headless Chromium: indicators, and a preference per person.

The demo loader stored both Langenhorn variants in the ``scenarios`` collection; the list view
shows them as a table (an equal alternative to the 3D view) with a "Bevorzugen" button each.
"""

from __future__ import annotations

import pytest
import requests
from selenium.webdriver.common.by import By

from tests.ui.conftest import screenshot, show_view, wait_until
from tests.ui.test_browser import _assert_axe_clean

pytestmark = pytest.mark.browser

DENSE = "langenhorn_nachverdichtung"


def _prefer_button(page):
    return next(
        b
        for b in page.find_elements(By.CSS_SELECTOR, "#list-table button")
        if f'"id":"{DENSE}"' in (b.get_attribute("id") or "")
    )


def _prefer_text(page) -> str:
    return wait_until(lambda: _prefer_button(page).text, 10, message="prefer button")


def _press_prefer(page) -> None:
    def attempt():  # Dash re-renders the table: find the button again until the click lands
        _prefer_button(page).click()
        return True

    wait_until(attempt, 10, message="prefer button clickable")


def test_variants_listed_with_indicators_and_a_prefer_button(browser, ui_server):
    page = browser
    before = requests.get(f"{ui_server.api}/collections/scenarios/items/{DENSE}?f=json", timeout=30).json()[
        "properties"
    ]["like_count"]
    page.get(ui_server.url + "/")
    wait_until(lambda: page.find_element(By.ID, "tab-list").is_displayed(), 30, message="tabs")
    show_view(page, "list")
    wait_until(
        lambda: any(
            '"value":"variants"' in (b.get_attribute("id") or "")
            for b in page.find_elements(By.CSS_SELECTOR, "#list-what-buttons button")
        ),
        20,
        message="variants choice",
    )
    next(
        b
        for b in page.find_elements(By.CSS_SELECTOR, "#list-what-buttons button")
        if '"value":"variants"' in (b.get_attribute("id") or "")
    ).click()
    wait_until(
        lambda: "Nachverdichtung Langenhorn" in page.find_element(By.ID, "list-table").text,
        30,
        message="variants table",
    )
    text = wait_until(lambda: page.find_element(By.ID, "list-table").text, 10, message="table text")
    assert "Bestand Langenhorn" in text and "synthetischem Gebäudebestand" in text
    assert "Planungsvarianten: 2 Einträge" in text
    assert _prefer_text(page) == f"Bevorzugen ({before})"
    _assert_axe_clean(page, "list-variants")
    _press_prefer(page)  # keyboard users reach the same button with Tab and press Enter
    wait_until(lambda: _prefer_button(page).text == f"Bevorzugen ({before + 1})", 20, message="preference counted")
    screenshot(page, "list-variants")
    # the same person once more: still one preference
    _press_prefer(page)
    wait_until(
        lambda: (
            requests.get(f"{ui_server.api}/collections/scenarios/items/{DENSE}?f=json", timeout=30).json()[
                "properties"
            ]["like_count"]
            == before + 1
        ),
        10,
        message="count in the OGC API",
    )
    assert _prefer_text(page) == f"Bevorzugen ({before + 1})"
