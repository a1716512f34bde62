"""Mediation routing: dispute type, region chain, foreign party, cost."""
from knowledge.engines.mediation import route_mediation


def ids(result):
    return [o.channel.id for o in result.options]


def test_foreign_commercial_dispute_in_nanning_goes_to_the_international_centre_first(kb):
    r = route_mediation(kb, "合同纠纷", "南宁市", True, 500_000)
    assert ids(r)[0] == "mediation.gx_international_centre"
    assert "可处理涉外纠纷" in r.options[0].reasons


def test_foreign_only_channels_are_not_offered_without_a_foreign_party(kb):
    r = route_mediation(kb, "合同纠纷", "南宁市", False)
    assert all(o.channel.foreign != "only" for o in r.options)


def test_local_channels_only_serve_their_region(kb):
    liuzhou = route_mediation(kb, "破产衍生纠纷", "柳州市", False)
    assert any("柳州" in o.channel.title for o in liuzhou.options)
    nanning = route_mediation(kb, "破产衍生纠纷", "南宁市", False)
    assert not any("柳州" in o.channel.title for o in nanning.options)


def test_social_insurance_dispute_in_wuzhou(kb):
    r = route_mediation(kb, "社保缴费争议", "长洲区", False)
    assert any("梧州" in o.channel.title for o in r.options)


def test_labour_dispute_offers_free_channels_and_arbitration(kb):
    r = route_mediation(kb, "劳动争议", "柳州市", False, 20_000)
    assert r.options and r.options[0].channel.free
    assert any(o.channel.kind for o in r.options)


def test_confirmation_and_litigation_come_as_the_way_onward(kb):
    r = route_mediation(kb, "合同纠纷", "广州市", False)
    assert all(o.channel.stage not in ("confirmation", "enforcement") for o in r.options)
    assert any(c.stage in ("confirmation", "litigation", "arbitration") for c in r.onward)


def test_unknown_region_falls_back_to_national_channels(kb):
    r = route_mediation(kb, "合同纠纷", "火星市", False)
    assert r.notes and "火星市" in r.notes[0]
    assert all("全国" in o.channel.regions for o in r.options)


def test_every_channel_points_to_an_official_contact_not_an_invented_number(kb):
    import re

    from knowledge.schema import MediationChannel

    for ch in kb.of_type(MediationChannel):
        numbers = re.findall(r"\d{5,}", ch.contact)
        assert all(n in ("12345", "12348", "12366", "12315") for n in numbers), ch.id


def test_judicial_confirmation_pays_no_acceptance_fee(kb):
    """诉讼费用交纳办法 第八条(一): 特别程序 (确认调解协议案件 is one, 民事诉讼法 第一百八十四条) pays no 案件受理费."""
    ch = kb.records["mediation.judicial_confirmation"]
    assert ch.free is True
    assert "不交" in ch.cost and "没有规定" not in ch.cost
    cited = {(c.law, c.article, c.quote) for c in ch.citations}
    assert ("诉讼费用交纳办法", "第八条", "(一)依照民事诉讼法规定的特别程序审理的案件；") in cited
    assert any(law == "民事诉讼法" and art == "第一百八十四条" and "确认调解协议案件" in q for law, art, q in cited)
