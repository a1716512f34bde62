"""Regenerate the README screenshots (widget.png, staff.png) from the browser tests.

    .venv/bin/python docs/screenshots/make.py

Runs tests/browser/test_widget_browser.py in headless Chromium (/usr/bin/chromium, from
`apt-get install chromium`; for Chinese text also a CJK font, e.g. `apt-get install fonts-wqy-microhei`)
with SCREENSHOTS_DIR pointing here; the tests write the pictures at the moments they check.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def main() -> int:
    env = {**os.environ, "SCREENSHOTS_DIR": str(HERE)}
    cmd = [sys.executable, "-m", "pytest", "-q", "-m", "browser", "tests/browser/test_widget_browser.py",
           "-k", "cards_quick_replies or handoff_from_the_widget"]
    code = subprocess.call(cmd, cwd=ROOT, env=env)
    for name in ("widget.png", "staff.png"):
        path = HERE / name
        print(f"{path}: {'ok' if path.exists() else 'MISSING'}")
    return code


if __name__ == "__main__":
    sys.exit(main())
