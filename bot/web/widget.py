"""Placeholder: set up in a later step (see the delivery issue)."""
from aiohttp import web


def setup(app: web.Application) -> None:
    return None
