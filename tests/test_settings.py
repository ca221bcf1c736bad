"""Settings from the environment (settings/): defaults that keep the API's links reachable."""

from __future__ import annotations

import pytest

from settings import Settings


def test_the_public_url_follows_the_port_when_none_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BUERGERGIS_PUBLIC_URL", raising=False)
    monkeypatch.setenv("BUERGERGIS_PORT", "8791")
    settings = Settings()
    assert settings.public_url == "http://localhost:8791"
    assert settings.api_url == "http://localhost:8791/oapi"


def test_a_set_public_url_wins_and_loses_its_trailing_slash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUERGERGIS_PORT", "8791")
    monkeypatch.setenv("BUERGERGIS_PUBLIC_URL", "https://beteiligung.musterstadt.de/")
    assert Settings().api_url == "https://beteiligung.musterstadt.de/oapi"
