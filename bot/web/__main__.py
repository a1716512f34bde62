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

    async def announce_when_ready(app: web.Application) -> None:
        """Print the URL once a Rasa replica answers (loading the model takes a few seconds after start)."""
        import asyncio

        async def wait() -> None:
            print("  web front up; waiting for Rasa to load the model ...", flush=True)
            for _ in range(600):
                if any((await app["rasa"].healthy()).values()):
                    break
                await asyncio.sleep(1)
            print(f"\n  合规通已启动：{settings.public_url}/   （员工控制台：{settings.public_url}/staff/）\n", flush=True)

        app["announce"] = asyncio.get_running_loop().create_task(wait())

    app.on_startup.append(announce_when_ready)
    web.run_app(app, host=settings.host, port=settings.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
