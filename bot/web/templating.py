"""Templates and static files shared by the widget and the staff console (set up once, whoever comes first)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.web.privacy import mask

WEB_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
LOCAL_TZ = dt.timezone(dt.timedelta(hours=8), "CST")  # the hotline works on Beijing time


def localtime(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A naive-UTC datetime (the database's) or an epoch timestamp (Rasa's), shown in Beijing time."""
    if value is None or value == "":
        return ""
    if isinstance(value, (int, float)):
        when = dt.datetime.fromtimestamp(value, dt.timezone.utc)
    elif isinstance(value, dt.datetime):
        when = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    else:
        return str(value)
    return when.astimezone(LOCAL_TZ).strftime(fmt)


def setup_templates(app: web.Application) -> jinja2.Environment:
    """Jinja2 (autoescaping) over bot/web/templates and /static/ over bot/web/static, each added only once."""
    env = app.get(aiohttp_jinja2.APP_KEY)
    if env is None:
        env = aiohttp_jinja2.setup(
            app,
            loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
            autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        )
    env.filters.setdefault("localtime", localtime)
    env.filters.setdefault("mask", mask)
    if not any(getattr(r, "name", None) == "static" for r in app.router.resources()):
        app.router.add_static("/static/", STATIC_DIR, name="static", append_version=True)
    return env


def static_url(app: web.Application, filename: str) -> str:
    """``/static/<filename>?v=<hash>``: a new URL whenever the file changes, so browsers never run stale code."""
    return str(app.router["static"].url_for(filename=filename))
