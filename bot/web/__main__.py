"""`python -m bot.web`: serve the web front and print where to open it."""
from __future__ import annotations

import logging

from aiohttp import web

from bot.web.app import create_app
from bot.web.config import Settings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = Settings()
    app = create_app(settings)

    async def announce(app: web.Application) -> None:
        print(f"\n  合规通已启动：{settings.public_url}/   （员工控制台：{settings.public_url}/staff/）\n", flush=True)

    app.on_startup.append(announce)
    web.run_app(app, host=settings.host, port=settings.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
