"""Shared behaviour of the four forms: validation helpers and the help given after failed answers."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.cards import button
from actions.common import latest_intent

# What each question means, shown when an answer could not be used (and why it is asked).
SLOT_HELP = {
    "violation": "请用一句话说出被查到（或担心）的行为，例如“价签没写清楚”“灭火器过期了”。我会在合规清单里找到对应条目。",
    "first_violation": "首违不罚要求是“初次违法”：一般指一定期限内第一次出现同类违法行为。请回答“是第一次”或“不是第一次”。",
    "harm": "危害后果指顾客或他人的损失、伤害、投诉等。请回答“没有造成后果”“后果轻微”或“后果较重”。",
    "corrected": "及时改正指发现问题后马上整改（下架、补标价、补办证照等）。请回答“已经改正”或“还没改正”。",
    "minor_violation": "没有危害后果并及时改正的，违法行为轻微就依法不予处罚，所以要知道行为本身是否轻微（情节轻、范围小，例如个别商品漏标价）。请回答“是轻微的”“不算轻微”或“说不准”。",
    "case_type": "案件类型决定诉讼费的算法：要钱的（合同、欠款、借贷、赔偿）是财产案件；也可以是劳动争议、知识产权、行政案件等。",
    "amount": "金额是诉讼请求（或争议）涉及的钱数，可以写“50万”“12万5千”“1.2亿”；不清楚就说“不知道”。",
    "procedure": "简易程序一般用于事实清楚、争议不大的案件，受理费减半。请回答“普通程序”“简易程序”或“不知道”。",
    "ending": "调解结案或撤诉的，受理费减半。请回答“判决”“调解结案”“撤诉”或“还不知道”。",
    "party_type": "免交只适用于个人（自然人），企业只能申请缓交或减交，所以需要知道申请人是个人还是企业。",
    "circumstance": "法院根据困难情况决定缓交、减交或免交，例如资金暂时短缺、低保、残疾无固定收入、追索经济补偿金、工伤受害人、法律援助。没有就说“没有”。",
    "dispute_type": "不同纠纷有不同的调解渠道，例如合同货款、劳动争议、社保缴费、涉外商事、破产衍生纠纷。",
    "region": "调解组织多按地区设立，请说城市或区县，例如“柳州”“广州天河”；不清楚就说“不知道”。",
    "foreign": "涉外纠纷可以找国际商事调解组织。对方是外国或港澳台的公司/个人吗？回答“有”或“没有”。",
}
STOP_OFFER = "要不要先停下？"


def times_asked(tracker: Tracker, slot: str) -> int:
    """How often the active form has asked for ``slot`` since it was activated."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") == "active_loop" and event.get("name") and event.get("name") != "action_two_stage_fallback":
            break
        if event.get("event") == "slot" and event.get("name") == "requested_slot" and event.get("value") == slot:
            count += 1
    return count


class ActionSlotHelp(Action):
    """After an answer the form could not use: explain the question; from the second failure offer to stop."""

    def name(self) -> str:
        return "action_slot_help"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        slot = tracker.get_slot("requested_slot")
        last_bot = next((e for e in reversed(tracker.events) if e.get("event") == "bot"), {})
        if latest_intent(tracker) == "affirm" and STOP_OFFER in (last_bot.get("text") or ""):
            return []  # "继续": the form asks again
        help_text = SLOT_HELP.get(slot, "这个问题需要一个具体的回答。")
        if times_asked(tracker, slot) >= 2:
            dispatcher.utter_message(
                text=f"{help_text}\n好像不太好回答，{STOP_OFFER}",
                buttons=[button("继续回答", "affirm"), button("不算了", "stop"), button("转人工", "handoff")],
            )
        else:
            dispatcher.utter_message(text=f"没能识别这个回答。{help_text}")
        return []


class ActionRestartForm(Action):
    """"重新计算": clear the last form's answers and start it again."""

    FORM_SLOTS = {
        "fee_form": ["case_type", "amount", "procedure", "ending", "application_type"],
        "exemption_form": ["violation", "first_violation", "harm", "corrected", "minor_violation"],
        "relief_form": ["party_type", "circumstance"],
        "mediation_form": ["dispute_type", "region", "foreign", "amount"],
    }
    TOPIC_FORM = {"litigation_fee": "fee_form", "first_violation": "exemption_form", "fee_relief": "relief_form",
                  "mediation": "mediation_form"}

    def name(self) -> str:
        return "action_restart_form"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        from rasa_sdk.events import FollowupAction

        from actions.common import first_entity

        form = first_entity(tracker, "form")
        if form not in self.FORM_SLOTS:
            last = tracker.get_slot("last_answer") or {}
            form = self.TOPIC_FORM.get(last.get("topic"), "fee_form")
        dispatcher.utter_message(text="好的，重新开始。")
        return [SlotSet(s, None) for s in self.FORM_SLOTS[form]] + [ActiveLoop(None), FollowupAction(form)]
