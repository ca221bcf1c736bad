"""Scenario variants in the 3D view, in a real headless Chromium: side by side and the compare table.

Screenshot: test-artifacts/ui-variants-side-by-side.png (and one per deck.gl view).
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.ui.conftest import pixel_stats, screenshot, wait_until

pytestmark = pytest.mark.browser


def _button(driver, group: str, value: str):
    for button in driver.find_elements(By.CSS_SELECTOR, f"#{group}-buttons button"):
        if f'"value":"{value}"' in (button.get_attribute("id") or ""):
            return button
    return None


def _press(driver, group: str, value: str) -> None:
    def attempt():
        _button(driver, group, value).click()
        return True

    wait_until(attempt, 10, message=f"{group} button {value}")
    wait_until(
        lambda: _button(driver, group, value).get_attribute("aria-pressed") == "true",
        10,
        message=f"{group} = {value} pressed",
    )


def _dark_share(png: bytes) -> float:
    """Share of dark pixels (building wireframes, plan and street lines); the empty background has none."""
    import io

    import numpy as np
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    return float((pixels.max(axis=2) < 120).mean())


def test_variants_side_by_side_with_compare_table(browser, ui_server):
    page = browser
    page.get(ui_server.url + "/?view=3d")
    wait_until(lambda: page.find_element(By.ID, "view-3d").get_attribute("hidden") is None, 30, message="3D tab")
    wait_until(lambda: page.find_elements(By.CSS_SELECTOR, "#deck-region canvas"), 20, message="deck.gl canvas A")

    _press(page, "variant-a", "langenhorn_baseline")
    _press(page, "variant-b", "langenhorn_nachverdichtung")
    _press(page, "variant-mode", "side")

    wait_until(
        lambda: page.find_element(By.ID, "deck-region-b").get_attribute("hidden") is None,
        15,
        message="second deck.gl view shown",
    )
    wait_until(lambda: page.find_elements(By.CSS_SELECTOR, "#deck-region-b canvas"), 20, message="deck.gl canvas B")
    assert "Nachverdichtung Langenhorn" in page.find_element(By.ID, "deck-label-b").text
    assert "Bestand Langenhorn" in page.find_element(By.ID, "deck-label-a").text

    def drawn(region_id: str, name: str):
        def check():
            region = page.find_element(By.ID, region_id)
            png = screenshot(page, name, region)
            stats = pixel_stats(png)
            stats["dark"] = _dark_share(png)
            ok = stats["warm"] > 0.003 and stats["colours"] > 50 and stats["dark"] > 0.002
            return stats if ok else None

        return wait_until(check, 45, interval=1.5, message=f"pixels drawn in {region_id}")

    stats_a = drawn("deck-region", "variant-a")
    stats_b = drawn("deck-region-b", "variant-b")
    assert stats_a["non_background"] > 0.05 and stats_b["non_background"] > 0.05, (stats_a, stats_b)
    sizes = page.execute_script(
        "return Array.from(document.querySelectorAll('#deck-pair canvas')).map(c => [c.width, c.height]);"
    )
    assert len(sizes) >= 2 and all(w > 200 and h > 200 for w, h in sizes), sizes

    # Compare table: accessible, floor area grows from A to B.
    cell = wait_until(
        lambda: page.find_elements(By.CSS_SELECTOR, '#variant-compare-table td[data-indicator="floor_area_m2"]'),
        60,
        message="compare table",
    )[0]
    text = cell.text
    assert text.startswith("+") and text.endswith("m²"), text
    assert int(text.lstrip("+").split()[0].replace(".", "")) > 0, text
    caption = page.find_element(By.CSS_SELECTOR, "#variant-compare-table caption").text
    assert "Bestand Langenhorn" in caption and "Nachverdichtung Langenhorn" in caption
    assert page.find_elements(By.CSS_SELECTOR, '#variant-compare-table th[scope="row"]')
    page.execute_script("document.getElementById('deck-pair').scrollIntoView();")
    screenshot(page, "variants-side-by-side")
    page.execute_script("document.getElementById('variant-compare').scrollIntoView();")
    screenshot(page, "variants-compare-table")

    # Back to a single view: the second deck.gl view goes away.
    _press(page, "variant-mode", "a")
    wait_until(
        lambda: page.find_element(By.ID, "deck-region-b").get_attribute("hidden") is not None, 10, message="single view"
    )
