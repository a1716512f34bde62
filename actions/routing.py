"""Where a message belongs: a bare fact continues its topic; a form question lands in the form that answers it.

- ``ActionHandleInform``: a fact given outside any form ("那100万呢", "在柳州") continues the topic it belongs to.
- ``better_form``: the NLU sometimes names the wrong form for a long message ("合同纠纷…受理费多少" is a fee question,
  not a mediation one; "员工和公司打劳动争议官司，诉讼费怎么收" is not about fee relief).  Each form's answer asks
  this first and hands over to the form the words point to.
- ``procedure_question``: "调解书有没有时间限制", "仲裁裁决后对方不履行怎么办" ask about a procedure, not where to
  go: they are answered from the knowledge records (the knowledge answer, ``KNOWLEDGE_ANSWER``), never by
  running the mediation form.  This is the seam between the forms and the record-or-decline answer.
The tables (which slots belong to which form, which topic a form answers) come from the registry.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.common import latest_text
from actions.facts import facts_of_message
from actions.kb import get_searcher
from actions.registry import registry
from knowledge.search import resolve

# The action that answers a question from the knowledge records, or declines (actions/compliance.py).
KNOWLEDGE_ANSWER = "action_answer_compliance"

# Words that say what a form question is about. A message whose words point to one form only belongs there.
FEE_WORDS = ("诉讼费", "受理费", "案件受理费", "申请费", "保全费", "执行费", "立案费", "起诉费", "官司费", "打官司要交",
             "打官司交", "打官司要多少", "起诉要交", "费用怎么算", "交多少钱")
RELIEF_WORDS = ("缓交", "减交", "免交", "减免", "交不起", "司法救助", "少交", "晚点交", "不交诉讼费", "免诉讼费", "减半交",
                "分期交", "能免", "免吗", "可以免", "免掉", "全免", "缓一缓", "先不交")
WHERE_WORDS = ("去哪", "去那", "找谁", "哪里", "哪儿", "什么地方", "什么部门", "哪个部门", "哪个机构", "渠道", "找哪",
               "怎么处理", "怎么解决", "如何解决", "如何处理", "谁管", "调解一下", "想调解", "申请调解", "找调解")
# A procedure question names a procedure's object and asks about its effect, time limit or what follows.
PROCEDURE_OBJECTS = ("调解协议", "调解书", "判决书", "裁决书", "仲裁裁决", "裁决", "判决", "司法确认", "申请执行", "强制执行",
                     "执行", "仲裁", "撤销仲裁", "劳动仲裁", "调解")
PROCEDURE_ASKS = ("效力", "时效", "期限", "时间限制", "多久", "多长时间", "几天", "几年", "有效期", "不履行", "不执行", "不给钱",
                  "赖账", "一样吗", "区别", "有用吗", "管用吗", "有法律效力", "能强制执行", "可以强制执行", "撤销", "步骤",
                  "流程", "程序是", "怎么申请执行", "怎么申请司法确认", "需要什么材料", "过期", "反悔", "不服")


def procedure_question(text: str) -> bool:
    """Asks about a dispute procedure (effect, time limit, enforcement, setting aside), not where to go."""
    if not text or any(w in text for w in WHERE_WORDS):
        return False
    return any(o in text for o in PROCEDURE_OBJECTS) and any(a in text for a in PROCEDURE_ASKS)


def _has(text: str, words: tuple[str, ...]) -> bool:
    return any(w in text for w in words)


def better_form(form: str, tracker: Tracker) -> str | None:
    """The form (or ``KNOWLEDGE_ANSWER``) this form question belongs to, when the words clearly say it is not
    ``form``; None when ``form`` is right or the words do not decide."""
    text = latest_text(tracker)
    if not text:
        return None  # a button: its intent is what the user chose
    fee, relief, where = _has(text, FEE_WORDS), _has(text, RELIEF_WORDS), _has(text, WHERE_WORDS)
    if form == "mediation_form" and procedure_question(text):
        return KNOWLEDGE_ANSWER
    if form == "mediation_form" and fee and not relief and not where:
        return "fee_form"
    if form == "relief_form" and fee and not relief:
        return "fee_form"
    if form == "fee_form" and relief:
        return "relief_form"
    if form == "fee_form" and not fee and (where or procedure_question(text)):
        return KNOWLEDGE_ANSWER if procedure_question(text) else "mediation_form"
    return None


def hand_over(target: str, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
    """Answer with ``target`` instead: another form (which then runs with this message's facts) or the knowledge
    answer, run here so that the reply comes in this turn."""
    if target == KNOWLEDGE_ANSWER:
        from actions.compliance import ActionAnswerCompliance

        return ActionAnswerCompliance().run(dispatcher, tracker, domain)
    return [FollowupAction(target)]


class ActionHandleInform(Action):
    """A fact outside any form: continue the last answer's topic, else open the form the fact belongs to."""

    def name(self) -> str:
        return "action_handle_inform"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        reg = registry()
        message = tracker.latest_message or {}
        entities = {e.get("entity") for e in message.get("entities") or []}
        facts = facts_of_message(message)
        stated = set(facts)
        last_topic = (tracker.get_slot("last_answer") or {}).get("topic")
        form = reg.form_of_topic(last_topic)
        if form and stated & set(reg.forms[form].slots):
            return [FollowupAction(form)]
        if entities & {"violation"}:
            return [FollowupAction("action_answer_compliance")]
        if entities & {"credit_issue"}:
            return [FollowupAction("action_credit_repair")]
        if entities & {"risk_area", "criminal_risk"}:
            return [FollowupAction("action_criminal_risk")]
        for name, spec in reg.forms.items():  # no topic to continue: the first form the fact belongs to
            if stated & set(spec.slots):
                return [FollowupAction(name)]
        if entities & {"industry", "domain"}:
            return [FollowupAction("action_browse_compliance")]
        question = latest_text(tracker)
        if question and len(question) >= 4:
            res = resolve(get_searcher(), question, types=["compliance_item"])
            if res.best and res.confident:
                return [FollowupAction("action_answer_compliance")]
        dispatcher.utter_message(response="utter_help")
        return []

