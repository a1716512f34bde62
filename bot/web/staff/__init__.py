"""Placeholder: the hotline staff console (see the delivery issue)."""
from aiohttp import web


def setup(app: web.Application) -> None:
    return None
