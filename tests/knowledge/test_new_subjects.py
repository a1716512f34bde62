"""Subjects real questions ask about (issue 12) and dispute-resolution procedure (issue 11, item 3) are in the
knowledge base: each record cites the article its answer rests on, says which version it quotes, and a plain
question (phrased here, not taken from any record's examples) finds it."""
import pytest

from knowledge.schema import ComplianceItem, CreditRepairProcedure, CriminalRisk, Guide, MediationChannel
from knowledge.search import resolve
from knowledge.validate import check

# record id -> (type, articles it must cite as (law, article))
EXPECTED = {
    # issue 12: what 失信 and 限高 restrict, and for whom
    "credit.high_consumption.restrictions": (CreditRepairProcedure, [
        ("最高人民法院关于限制被执行人高消费的若干规定", "第三条"), ("最高人民法院关于限制被执行人高消费的若干规定", "第八条")]),
    "credit.dishonest.consequences": (CreditRepairProcedure, [
        ("最高人民法院关于公布失信被执行人名单信息的若干规定", "第六条"), ("民事诉讼法", "第二百六十六条"),
        ("公司法", "第一百七十八条")]),
    # marks and shop names close to a brand
    "market.trademark.similar_mark": (ComplianceItem, [("商标法", "第五十七条"), ("商标法", "第六十条")]),
    "market.trademark.shop_name": (ComplianceItem, [("商标法", "第五十八条"), ("反不正当竞争法", "第六条"),
                                                    ("反不正当竞争法", "第十八条")]),
    # tobacco: crime next to the administrative penalty
    "criminal.tobacco.illegal_business": (CriminalRisk, [("刑法", "第二百二十五条"), ("烟草专卖法", "第三十二条"),
                                                         ("烟草专卖法实施条例", "第五十七条")]),
    "criminal.enforcement.refuse_judgment": (CriminalRisk, [("刑法", "第三百一十三条")]),
    "criminal.litigation.false_lawsuit": (CriminalRisk, [("刑法", "第三百零七条之一")]),
    # 吊销, 注销, 法定代表人
    "guide.business_status.licence_revoked": (Guide, [("公司法", "第二百二十九条"), ("公司法", "第二百四十一条"),
                                                      ("市场主体登记管理条例", "第三十三条")]),
    "guide.business_status.not_deregistered": (Guide, [("市场主体登记管理条例", "第三十一条"), ("公司法", "第二百四十条"),
                                                       ("市场主体登记管理条例实施细则", "第四十八条")]),
    "guide.business_status.legal_representative": (Guide, [("公司法", "第十一条"), ("税收征收管理法", "第四十四条"),
                                                           ("最高人民法院关于民事执行中财产调查若干问题的规定", "第十五条")]),
    # seeds: distressed firms (Tianhe, Hezhou, Guilin), false lawsuits (Guilin), Beihai, Liuzhou
    "guide.business_status.rescue_procedures": (Guide, [("企业破产法", "第七十条"), ("企业破产法", "第九十五条")]),
    "guide.business_status.enforcement_to_bankruptcy": (Guide, [("最高人民法院关于适用《民事诉讼法》的解释", "第五百一十一条")]),
    "credit.dishonest.false_lawsuit": (CreditRepairProcedure, [("民事诉讼法", "第二百二十条"), ("民事诉讼法", "第二百四十四条"),
                                                              ("刑法", "第三百零七条之一")]),
    "credit.beihai.credit_buffer": (CreditRepairProcedure, [("行政处罚法", "第三十三条")]),
    "mediation.liuzhou_ip_services": (MediationChannel, [("商标法", "第六十条")]),
    # issue 11 item 3: procedure
    "guide.procedure.people_mediation_agreement": (Guide, [("人民调解法", "第三十一条"), ("人民调解法", "第三十三条")]),
    "guide.procedure.court_mediation_vs_judgment": (Guide, [("民事诉讼法", "第一百条"), ("民事诉讼法", "第二百四十七条")]),
    "guide.procedure.appeal_and_retrial": (Guide, [("民事诉讼法", "第一百七十一条"), ("民事诉讼法", "第二百一十六条")]),
    "guide.procedure.judicial_confirmation": (Guide, [("民事诉讼法", "第二百零五条"), ("民事诉讼法", "第二百零六条"),
                                                      ("诉讼费用交纳办法", "第八条")]),
    "guide.procedure.enforcement_how": (Guide, [("民事诉讼法", "第二百四十七条"), ("民事诉讼法", "第二百三十五条")]),
    "guide.procedure.enforcement_deadline": (Guide, [("民事诉讼法", "第二百五十条")]),
    "guide.procedure.arbitral_award_enforcement": (Guide, [("仲裁法", "第六十二条"), ("民事诉讼法", "第二百四十八条")]),
    "guide.procedure.set_aside_award": (Guide, [("仲裁法", "第五十八条"), ("仲裁法", "第五十九条")]),
    "guide.procedure.labour_arbitration_time_limit": (Guide, [("劳动争议调解仲裁法", "第二十七条")]),
    "guide.procedure.labour_arbitration_steps": (Guide, [("劳动争议调解仲裁法", "第四十三条")]),
    "guide.procedure.labour_final_award": (Guide, [("劳动争议调解仲裁法", "第四十七条"), ("劳动争议调解仲裁法", "第四十九条")]),
}

# The search pool each kind of record is answered from (the action that shows it searches these types).
POOL = {Guide: ["compliance_item", "guide"], ComplianceItem: ["compliance_item", "guide"],
        CreditRepairProcedure: ["credit_repair"], CriminalRisk: ["criminal_risk"],
        MediationChannel: ["mediation_channel"]}

# Plain questions written for this test, none of them a record's example: each must resolve to its record.
PLAIN_QUESTIONS = [
    ("被限消了能不能坐动车", "credit.high_consumption.restrictions"),
    ("限制高消费以后哪些东西不能买", "credit.high_consumption.restrictions"),
    ("失信被执行人会受到哪些惩戒", "credit.dishonest.consequences"),
    ("别人伪造证据告我，我被执行了怎么翻案", "credit.dishonest.false_lawsuit"),
    ("北海的信用惩戒缓冲机制是什么", "credit.beihai.credit_buffer"),
    ("无证卖香烟会构成犯罪吗", "criminal.tobacco.illegal_business"),
    ("欠钱不还被法院执行会不会判刑", "criminal.enforcement.refuse_judgment"),
    ("伪造借条去起诉会坐牢吗", "criminal.litigation.false_lawsuit"),
    ("商标和别人的很像算不算侵权", "market.trademark.similar_mark"),
    ("店名用了知名品牌的名字违法吗", "market.trademark.shop_name"),
    ("营业执照吊销后怎么处理", "guide.business_status.licence_revoked"),
    ("公司长期不经营也不注销有什么影响", "guide.business_status.not_deregistered"),
    ("法定代表人对公司债务要负责吗", "guide.business_status.legal_representative"),
    ("企业快撑不下去了，破产重整怎么申请", "guide.business_status.rescue_procedures"),
    ("执行转破产是怎么回事", "guide.business_status.enforcement_to_bankruptcy"),
    ("调解协议有没有法律效力", "guide.procedure.people_mediation_agreement"),
    ("法院调解书和判决书效力有区别吗", "guide.procedure.court_mediation_vs_judgment"),
    ("判决不服多少天内上诉", "guide.procedure.appeal_and_retrial"),
    ("司法确认的期限是多少天", "guide.procedure.judicial_confirmation"),
    ("怎么申请法院强制执行", "guide.procedure.enforcement_how"),
    ("申请执行的期限是多长", "guide.procedure.enforcement_deadline"),
    ("仲裁赢了对方拒不履行裁决怎么处理", "guide.procedure.arbitral_award_enforcement"),
    ("怎么撤销仲裁裁决", "guide.procedure.set_aside_award"),
    ("劳动仲裁的时效多久", "guide.procedure.labour_arbitration_time_limit"),
    ("劳动仲裁要多长时间出裁决", "guide.procedure.labour_arbitration_steps"),
    ("劳动仲裁一裁终局是什么意思", "guide.procedure.labour_final_award"),
    ("柳州知识产权维权援助中心", "mediation.liuzhou_ip_services"),
]


def _cited(rec) -> set[tuple[str, str]]:
    return {(c.law, c.article) for c in rec.citations}


def _text(rec) -> str:
    return rec.json(ensure_ascii=False)


@pytest.mark.parametrize("rid", sorted(EXPECTED))
def test_record_exists_with_its_type_and_cites_the_articles_it_rests_on(kb, rid):
    cls, articles = EXPECTED[rid]
    rec = kb.records.get(rid)
    assert isinstance(rec, cls), rid
    missing = set(articles) - _cited(rec)
    assert not missing, (rid, missing)
    assert len(set(rec.examples)) >= 3 and rec.synonyms, rid


def test_the_new_records_pass_the_validator(kb):
    problems = [p for p in check(kb) if any(rid in p.where for rid in EXPECTED)]
    assert not problems, problems


def test_procedure_and_business_guides_have_their_own_topic(kb):
    for rid, (cls, _) in EXPECTED.items():
        if cls is Guide:
            expected = "procedure" if rid.startswith("guide.procedure.") else "business_status"
            assert kb.records[rid].guide_topic == expected, rid


def test_the_2010_restriction_list_is_quoted_whole_and_the_2015_change_is_told_as_not_quoted(kb):
    rec = kb.records["credit.high_consumption.restrictions"]
    article = kb.statutes["最高人民法院关于限制被执行人高消费的若干规定"].article("第三条")
    items = [line for line in article.splitlines() if line.startswith("（")]
    assert len(items) == 9
    quoted = {c.quote for c in rec.citations if c.article == "第三条"}
    assert set(items) <= quoted  # every one of the nine restricted kinds of spending, verbatim
    told = " ".join(rec.conditions)
    for fact in ("法释〔2015〕17号", "动车组", "实际控制人", "不是引文"):
        assert fact in told, fact
    assert any("2015" in c for c in rec.caveats)


def test_records_quoting_older_texts_say_which_version_they_quote(kb):
    later = {
        "最高人民法院关于公布失信被执行人名单信息的若干规定": "2017",
        "最高人民法院关于限制被执行人高消费的若干规定": "2015",
        "仲裁法": "2026年3月1日",
        "反不正当竞争法": "2025年10月15日",
    }
    for rid in EXPECTED:
        rec = kb.records[rid]
        for law, marker in later.items():
            if law in {c.law for c in rec.citations}:
                assert any(marker in c for c in rec.caveats), (rid, law)


def test_enforcement_time_limit_is_two_years_from_the_last_day_of_performance(kb):
    rec = kb.records["guide.procedure.enforcement_deadline"]
    quotes = [c.quote for c in rec.citations if (c.law, c.article) == ("民事诉讼法", "第二百五十条")]
    assert any(q.startswith("申请执行的期间为二年") for q in quotes)
    assert any("最后一日起计算" in q for q in quotes)


def test_labour_arbitration_limits_are_the_statutory_ones(kb):
    limits = _text(kb.records["guide.procedure.labour_arbitration_time_limit"])
    steps = _text(kb.records["guide.procedure.labour_arbitration_steps"])
    final = _text(kb.records["guide.procedure.labour_final_award"])
    assert "时效期间为一年" in limits and "不受本条第一款规定的仲裁时效期间的限制" in limits
    assert "四十五日内结束" in steps and "不得超过十五日" in steps
    assert "十二个月金额" in final and "三十日内" in final and "十五日内" in final


def test_judicial_confirmation_states_where_when_and_that_no_acceptance_fee_is_charged(kb):
    text = _text(kb.records["guide.procedure.judicial_confirmation"])
    assert "三十日内" in text and "基层人民法院" in text
    fee = [c for c in kb.records["guide.procedure.judicial_confirmation"].citations if c.law == "诉讼费用交纳办法"]
    assert fee and "特别程序" in fee[0].quote


def test_tobacco_record_puts_the_administrative_penalty_next_to_the_crime(kb):
    rec = kb.records["criminal.tobacco.illegal_business"]
    assert rec.penalty_summary in kb.statutes["刑法"].article("第二百二十五条")
    shown = " ".join(rec.prevention)  # the card shows prevention lines, so the tiers must be there
    assert "20%以上50%以下" in shown and "刑法第二百二十五条" in shown
    assert set(rec.related) >= {"market.tobacco.no_retail_licence"}


def test_seed_facts_are_cited_to_their_passages(kb):
    expected_sources = {
        "credit.beihai.credit_buffer": "seed:003#8",
        "credit.dishonest.false_lawsuit": "seed:003#6",
        "mediation.liuzhou_ip_services": "seed:003#4",
        "guide.business_status.rescue_procedures": "seed:000#18",
        "guide.business_status.enforcement_to_bankruptcy": "seed:003#9",
    }
    for rid, src in expected_sources.items():
        assert src in kb.records[rid].sources, rid


def test_no_invented_contact_numbers(kb):
    import re

    official = {"12345", "12348", "12366", "12333", "12315"}
    for rid in EXPECTED:
        numbers = set(re.findall(r"(?<!\d)1\d{4}(?!\d)|\d{7,}", _text(kb.records[rid])))
        assert numbers <= official, (rid, numbers - official)


def test_plain_questions_are_not_record_examples(kb):
    examples = {e for r in kb.records.values() for e in r.examples}
    assert not {q for q, _ in PLAIN_QUESTIONS} & examples


@pytest.mark.parametrize("question,rid", PLAIN_QUESTIONS)
def test_a_plain_question_finds_its_record(kb, searcher, question, rid):
    types = POOL[type(kb.records[rid])]
    res = resolve(searcher, question, types=types)
    assert res.best is not None and res.best.record_id == rid, [h.record_id for h in res.candidates]
