"""Agent assist: a hotline agent types a caller's question and gets the assistant's answer (with its legal basis)
and the knowledge base's top retrieval hits, to read out or copy.

The question goes to Rasa under a throwaway sender per question ("assist-<staff>-<random>"), so it never mixes
with a real user's conversation nor with the agent's previous question.  When the assistant answers with a question
of its own (a form asking "是第一次吗？" with quick replies), the agent asks the caller and answers for them: the
reply (a quick reply's payload or the caller's words) is posted with that ``sender`` and continues the same
throwaway conversation, so the buttons shown to staff are usable, not decoration.  The knowledge base is loaded from the
data files once, on first use (or when the assist page is opened), and kept on the app.
"""
from __future__ import annotations

import asyncio
import re
import uuid

import structlog
from aiohttp import web

from bot.web.staff.auth import Staff, render_page
from bot.web.validation import BadInput, clean_text, read_json
from bot.web.widget import RASA_ERRORS

logger = structlog.get_logger()

KB_KEY = "staff_kb"  # app[KB_KEY] = {"searcher": Searcher | None, "loading": asyncio.Task | None}
TOP_HITS = 6


def init(app: web.Application) -> None:
    app[KB_KEY] = {"searcher": None, "loading": None}


def _load_searcher(kb=None):
    from knowledge.kb import KnowledgeBase
    from knowledge.search import Searcher

    return Searcher(kb if kb is not None else KnowledgeBase.from_files())


async def _load(app: web.Application):
    holder = app[KB_KEY]
    try:
        # the registrations door may have the knowledge base on the app already (app["kb"]): share it
        holder["searcher"] = await asyncio.get_running_loop().run_in_executor(None, _load_searcher, app.get("kb"))
        logger.info("staff.kb.loaded")
    except Exception:  # a broken data file must not take the console down; the Rasa answer still works
        logger.exception("staff.kb.load_failed")
    finally:
        holder["loading"] = None
    return holder["searcher"]


def warm_up(app: web.Application) -> None:
    """Start loading the knowledge base in the background (the assist page calls this)."""
    holder = app[KB_KEY]
    if holder["searcher"] is None and holder["loading"] is None:
        holder["loading"] = asyncio.get_running_loop().create_task(_load(app))


async def searcher(app: web.Application):
    holder = app[KB_KEY]
    if holder["searcher"] is not None:
        return holder["searcher"]
    warm_up(app)
    task = holder["loading"]
    return await asyncio.shield(task) if task is not None else holder["searcher"]


def _slug(username: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\-]", "_", username)[:32] or "staff"


def _answer(message: dict) -> dict:
    custom = message.get("custom") if isinstance(message.get("custom"), dict) else {}
    return {
        "text": message.get("text") or "",
        "title": custom.get("title") or "",
        "topic": custom.get("topic") or "",
        "kb_ids": custom.get("kb_ids") or [],
        "citations": custom.get("citations") or [],
        "buttons": [{"title": b["title"], "payload": b["payload"]} for b in message.get("buttons") or []
                    if isinstance(b, dict) and isinstance(b.get("title"), str) and isinstance(b.get("payload"), str)],
    }


async def _hits(app: web.Application, question: str) -> list[dict]:
    s = await searcher(app)
    if s is None:
        raise RuntimeError("knowledge base unavailable")

    def run():
        out = []
        for h in s.search(question, k=TOP_HITS):
            citations = []
            kb = getattr(s, "kb", None)
            if kb is not None:
                try:
                    citations = kb.citations_of([h.record_id])
                except KeyError:
                    citations = []
            out.append({"id": h.record_id, "type": h.type, "title": h.title, "score": round(float(h.score), 3),
                        "matched": list(h.matched), "citations": citations})
        return out

    return await asyncio.get_running_loop().run_in_executor(None, run)


async def _no_hits() -> list[dict]:
    return []  # an answer to the assistant's own question: the first question's hits still stand


async def api_assist(request: web.Request) -> web.Response:
    staff: Staff = request["staff"]
    settings = request.app["settings"]
    body = await read_json(request, settings.max_text_bytes + 1024)
    question = clean_text(body.get("question"), settings.max_text_bytes, "question")
    prefix = f"assist-{_slug(staff.username)}-"
    sender = body.get("sender")
    if sender is None:
        sender = prefix + uuid.uuid4().hex[:12]
    elif not (isinstance(sender, str) and sender.startswith(prefix) and re.fullmatch(r"[0-9a-f]{12}", sender[len(prefix):])):
        raise BadInput(400, "只能继续自己的智能辅助对话")
    answer_result, hits_result = await asyncio.gather(
        request.app["rasa"].send(sender, question, {"channel": "assist", "staff": staff.username}),
        _hits(request.app, question) if body.get("sender") is None else _no_hits(), return_exceptions=True)
    errors = {}
    answers: list[dict] = []
    if isinstance(answer_result, RASA_ERRORS):
        errors["rasa"] = "智能助手（Rasa）暂时无法连接，下面只列出知识库检索结果。"
    elif isinstance(answer_result, BaseException):
        logger.error("staff.assist.rasa_failed", error=repr(answer_result))
        errors["rasa"] = "智能助手没有给出回答。"
    else:
        answers = [_answer(m) for m in answer_result if isinstance(m, dict)]
        if not answers:
            errors["rasa"] = "智能助手没有给出回答，请参考下面的知识库检索结果。"
    hits: list[dict] = []
    if isinstance(hits_result, BaseException):
        if not isinstance(hits_result, RuntimeError):
            logger.error("staff.assist.search_failed", error=repr(hits_result))
        errors["kb"] = "知识库暂时无法检索。"
    else:
        hits = hits_result
    used = {i for a in answers for i in a["kb_ids"]}
    for h in hits:
        h["in_answer"] = h["id"] in used
    return web.json_response({"question": question, "sender": sender, "answers": answers,
                              "copy_text": "\n\n".join(a["text"] for a in answers if a["text"]),
                              "hits": hits, "errors": errors})


async def assist_page(request: web.Request) -> web.Response:
    from bot.web.staff.views import context

    warm_up(request.app)
    return render_page(request, "staff/assist.html", await context(request, "assist"))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/staff/assist", assist_page)
    app.router.add_post("/staff/api/assist", api_assist)
