"""Re-export of :mod:`settings` (the settings leaf package, issue 15) for code that still imports ``api.settings``."""

from __future__ import annotations

from settings import *  # noqa: F403
from settings import ROOT, Settings, get_settings

__all__ = ["ROOT", "Settings", "get_settings"]
