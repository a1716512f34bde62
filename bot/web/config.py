"""The web front's settings: the project's one typed Settings (hegui/settings.py), imported under its old name."""
from __future__ import annotations

from hegui.settings import ROOT, Settings

__all__ = ["ROOT", "Settings"]
