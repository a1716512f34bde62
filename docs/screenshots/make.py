"""Regenerate the README screenshots from the browser tests.

    .venv/bin/python docs/screenshots/make.py

The browser tests (tests/browser/test_widget_browser.py, part of `make test`) write the pictures here at the
moments they check, so the README shows what was tested; this runs just those tests. Chromium is Debian's
/usr/bin/chromium with a CJK font (`make browser-deps`).

    widget-welcome.png         the phone on first visit (390×844)
    widget.png                 an answer on the phone: verdict first, sections folded, quick replies under it
    widget-long-collapsed.png  the longest answer (信用修复：经营异常名录) as it arrives
    widget-long-expanded.png   the same with its sections open, from its title
    widget-takeover.png        an agent (王芳) has taken over and is typing, as the user sees it
    widget-leave-message.png   nobody on duty: the leave-a-message form
    embed.png                  the widget in the embed panel on another site
    staff.png                  the staff console: one conversation, taken over
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PICTURES = ["widget-welcome.png", "widget.png", "widget-long-collapsed.png", "widget-long-expanded.png",
            "widget-takeover.png", "widget-leave-message.png", "embed.png", "staff.png"]


def main() -> int:
    env = {**os.environ, "SCREENSHOTS_DIR": str(HERE)}
    cmd = [sys.executable, "-m", "pytest", "-q", "-m", "browser", "tests/browser/test_widget_browser.py"]
    code = subprocess.call(cmd, cwd=ROOT, env=env)
    for name in PICTURES:
        path = HERE / name
        print(f"{path}: {'ok' if path.exists() else 'MISSING'}")
    return code


if __name__ == "__main__":
    sys.exit(main())
