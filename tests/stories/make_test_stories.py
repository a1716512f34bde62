"""Write tests/stories/test_conversations.yml from the conversations below.

The user turns are annotated with the entities the knowledge-base extractor finds (reviewed by hand when the
file is regenerated: `python -m tests.stories.make_test_stories`), so `rasa test` checks intents, entities
and every predicted action with --fail-on-prediction-errors.
"""
from __future__ import annotations

import json
from pathlib import Path

import yaml

OUT = Path(__file__).with_name("test_conversations.yml")

U, A, L = "user", "action", "loop"


def form_submit(form: str, answer: str) -> list:
    return [(A, form), (L, None), ("requested_null",), (A, answer)]


CONVERSATIONS: dict[str, list] = {
    "slice: expired food fine, then why, thanks": [
        (U, "卖过期食品会被罚多少钱？", "ask_compliance"), (A, "action_answer_compliance"),
        (U, "依据是什么", "ask_why"), (A, "action_explain_basis"),
        (U, "谢谢", "thanks"), (A, "utter_thanks"),
    ],
    "greeting, help menu and browse": [
        (U, "你好", "greet"), (A, "utter_greet"),
        (U, "你能做什么", "help"), (A, "utter_help"),
        (U, "餐饮行业常见的违规有哪些", "browse_compliance"), (A, "action_browse_compliance"),
    ],
    "traditional characters": [
        (U, "店裡賣過期食品會怎麼罰", "ask_compliance"), (A, "action_answer_compliance"),
    ],
    "fee form, the one question it needs": [
        (U, "帮我算一下诉讼费", "ask_litigation_fee"), (A, "fee_form"), (L, "fee_form"),
        (U, "合同纠纷", "inform"), (A, "fee_form"),
        (U, "50万", "inform"), *form_submit("fee_form", "action_fee_answer"),
        (U, "那100万呢", "inform"), (A, "action_handle_inform"),
    ],
    "fee form filled from one message": [
        (U, "50万的合同纠纷走简易程序调解结案诉讼费多少", "ask_litigation_fee"),
        (A, "fee_form"), (L, "fee_form"), (L, None), ("requested_null",), (A, "action_fee_answer"),
    ],
    "a fee question with its amount gets the figure on the first reply": [
        (U, "我们公司起诉客户追讨货款50万元，走普通程序，案件受理费要交多少？", "ask_litigation_fee"),
        (A, "fee_form"), (L, "fee_form"), (L, None), ("requested_null",), (A, "action_fee_answer"),
        (U, "说错了，是300万", "inform"), (A, "action_handle_inform"),
    ],
    "a labour fee question is answered without a question": [
        (U, "员工和公司打劳动争议官司，诉讼费怎么收？", "ask_litigation_fee"),
        (A, "fee_form"), (L, "fee_form"), (L, None), ("requested_null",), (A, "action_fee_answer"),
    ],
    "the fee standard is answered without a question": [
        (U, "诉讼费怎么算", "ask_litigation_fee"), (A, "fee_form"), (L, "fee_form"),
        (L, None), ("requested_null",), (A, "action_fee_answer"),
    ],
    "topic switch out of the fee form": [
        (U, "帮我算一下诉讼费", "ask_litigation_fee"), (A, "fee_form"), (L, "fee_form"),
        (U, "没有明码标价会被罚吗", "ask_compliance"),
        (A, "action_deactivate_loop"), (L, None), (A, "action_answer_compliance"),
    ],
    "stop a form": [
        (U, "诉讼费多少钱", "ask_litigation_fee"), (A, "fee_form"), (L, "fee_form"),
        (U, "算了", "stop"), (A, "action_deactivate_loop"), (L, None), (A, "utter_stopped"),
    ],
    "not knowing the amount gets the scale": [
        (U, "打官司要交多少钱", "ask_litigation_fee"), (A, "fee_form"), (L, "fee_form"),
        (U, "不知道", "dont_know"), (A, "action_slot_help"), *form_submit("fee_form", "action_fee_answer"),
    ],
    "unusable answer is explained and the form continues": [
        (U, "打官司要交多少钱", "ask_litigation_fee"), (A, "fee_form"), (L, "fee_form"),
        (U, "好的", "affirm"), (A, "action_slot_help"), (A, "fee_form"), (L, "fee_form"),
    ],
    "exemption check": [
        (U, "第一次违法能不罚吗", "ask_exemption"), (A, "exemption_form"), (L, "exemption_form"),
        (U, "没有明码标价", "inform"), (A, "exemption_form"),
        (U, "没有造成后果", "inform"), (A, "exemption_form"),
        (U, "已经改了", "inform"), (A, "exemption_form"),
        # no harm and corrected: whether the act itself was 轻微 decides 不予处罚 (must) over 可以不予处罚 (may)
        (U, "问题很小，就漏了一个价签", "inform"), *form_submit("exemption_form", "action_exemption_answer"),
    ],
    "fee relief for a company short of funds": [
        (U, "公司资金紧张诉讼费能缓交吗", "ask_fee_relief"), (A, "relief_form"), (L, "relief_form"),
        (L, None), ("requested_null",), (A, "action_relief_answer"),
    ],
    "a company asking for 免交 is answered directly": [
        (U, "我们公司想申请免交诉讼费，可以吗", "ask_fee_relief"), (A, "relief_form"), (L, "relief_form"),
        (L, None), ("requested_null",), (A, "action_relief_answer"),
    ],
    "fee form with corrections of the amount and the case type": [
        (U, "帮我算算官司要多少钱", "ask_litigation_fee"), (A, "fee_form"), (L, "fee_form"),
        (U, "合同纠纷", "inform"), (A, "fee_form"),
        (U, "50万", "inform"), *form_submit("fee_form", "action_fee_answer"),
        (U, "不对，金额是80万", "inform"), (A, "action_handle_inform"),
    ],
    "mediation routing answers with what is known, then narrows": [
        (U, "客户欠货款不还去哪里调解", "ask_mediation"), (A, "mediation_form"), (L, "mediation_form"),
        (L, None), ("requested_null",), (A, "action_mediation_answer"),
        (U, "柳州", "inform"), (A, "action_handle_inform"),
    ],
    "a mediation question naming its city and dispute": [
        (U, "公司在梧州，员工对社保费缴费有争议，找哪里处理？", "ask_mediation"), (A, "mediation_form"),
        (L, "mediation_form"), (L, None), ("requested_null",), (A, "action_mediation_answer"),
    ],
    "from mediation to the fee calculator": [
        (U, "纠纷去哪里调解", "ask_mediation"), (A, "mediation_form"), (L, "mediation_form"),
        (L, None), ("requested_null",), (A, "action_mediation_answer"),
        (U, "诉讼费多少钱", "ask_litigation_fee"), (A, "fee_form"), (L, "fee_form"),
    ],
    "credit repair and criminal risk": [
        (U, "怎么移出经营异常名录", "ask_credit_repair"), (A, "action_credit_repair"),
        (U, "虚开发票会坐牢吗", "ask_criminal_risk"), (A, "action_criminal_risk"),
    ],
    "litigation info for a loan": [
        (U, "公司有涉诉信息贷款批不下来", "ask_litigation_info"), (A, "action_litigation_info"),
    ],
    "handoff": [
        (U, "转人工", "handoff"), (A, "action_handoff"),
    ],
    "handoff from inside a form": [
        (U, "第一次被查能免罚吗", "ask_exemption"), (A, "exemption_form"), (L, "exemption_form"),
        (U, "我要找人工", "handoff"), (A, "action_deactivate_loop"), (L, None), (A, "action_handoff"),
    ],
    "out of scope and nonsense": [
        (U, "离婚财产怎么分", "out_of_scope"), (A, "action_out_of_scope"),
        (U, "asdfgh", "nonsense"), (A, "utter_nonsense"),
    ],
    "why inside a form answers and resumes": [
        (U, "帮我算一下诉讼费", "ask_litigation_fee"), (A, "fee_form"), (L, "fee_form"),
        (U, "为什么", "ask_why"), (A, "action_explain_basis"), (A, "fee_form"), (L, "fee_form"),
    ],
}


def annotate(text: str, extractor) -> str:
    """Mark the entities the extractor finds, in Rasa's training-data syntax (a list when spans coincide)."""
    from bot.nlu.normalizer import normalize_same_length

    # the pipeline extracts from the normalised text (繁→简); offsets are the same in the original
    entities = sorted(extractor.extract(normalize_same_length(text)), key=lambda e: (e["start"], -(e["end"] - e["start"])))
    out, pos = [], 0
    for e in entities:
        if e["start"] < pos:
            continue
        same = [x for x in entities if x["start"] == e["start"] and x["end"] == e["end"]]
        dicts = [{"entity": x["entity"], "value": str(x["value"])} for x in same]
        markup = json.dumps(dicts[0], ensure_ascii=False) if len(dicts) == 1 else json.dumps(dicts, ensure_ascii=False)
        out.append(text[pos:e["start"]])
        out.append(f"[{text[e['start']:e['end']]}]{markup}")
        pos = e["end"]
    out.append(text[pos:])
    return "".join(out)


def steps(conversation: list, extractor) -> list:
    out = []
    for step in conversation:
        if step[0] == U:
            out.append({"user": annotate(step[1], extractor) + "\n", "intent": step[2]})
        elif step[0] == A:
            out.append({"action": step[1]})
        elif step[0] == L:
            out.append({"active_loop": step[1]})
        else:
            out.append({"slot_was_set": [{"requested_slot": None}]})
    return out


def main() -> None:
    from bot.nlu.knowledge_entities import KnowledgeEntityExtractor, build_patterns
    from knowledge.kb import KnowledgeBase

    extractor = KnowledgeEntityExtractor({}, None, None, build_patterns(KnowledgeBase.from_files()))
    stories = [{"story": name, "steps": steps(conv, extractor)} for name, conv in CONVERSATIONS.items()]
    header = "# GENERATED by `python -m tests.stories.make_test_stories` — edit the conversations there.\n"
    OUT.write_text(header + yaml.safe_dump({"version": "3.1", "stories": stories}, allow_unicode=True,
                                           sort_keys=False, width=200), encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
