"""The hotline staff console at /staff/.

Pages: the log-in page, the dashboard with the queue of conversations that asked for a human, conversations
(live and past, searchable), one conversation with take over / reply / hand back and feedback on each bot answer,
agent assist, and the unanswered-questions view.  Accounts are created with
``python -m bot.web.staff create-user <username> --name 名字 [--admin]``.

Routes (all but the log-in page need a staff session; every POST needs the CSRF token):
    GET  /staff/login, POST /staff/login, POST /staff/logout
    GET  /staff/                                    dashboard + queue
    GET  /staff/conversations?q=&status=&page=      list and search
    GET  /staff/conversations/{sender}              full history from the tracker
    POST /staff/conversations/{sender}/take         pause the bot, status "taken", assigned to me
    POST /staff/conversations/{sender}/reply        reply as agent (takes over first when needed)
    POST /staff/conversations/{sender}/handback     resume the bot, status "bot"
    POST /staff/conversations/{sender}/feedback     a bot answer was helpful / wrong, with a comment
    GET  /staff/assist, POST /staff/api/assist      agent assist
    GET  /staff/unanswered?days=                    unanswered questions with counts (masked)
    GET  /staff/api/queue                           the queue as JSON (for the badge)
    GET  /staff/api/conversations/{sender}/updates?mark=   has anything happened since the page was drawn
"""
from __future__ import annotations

from aiohttp import web

from bot.web.staff import assist, auth, views
from bot.web.templating import setup_templates


def setup(app: web.Application) -> None:
    setup_templates(app)
    if auth.staff_guard not in app.middlewares:
        app.middlewares.append(auth.staff_guard)
    app.router.add_get(auth.LOGIN_PATH, auth.login_page)
    app.router.add_post(auth.LOGIN_PATH, auth.login_submit)
    app.router.add_post("/staff/logout", auth.logout)
    views.add_routes(app)
    assist.init(app)
    assist.add_routes(app)
