"""The knowledge base holds what the issue names, and nothing is missing its basis, advice or examples."""
from collections import Counter

from knowledge.schema import DOMAINS, ComplianceItem


def test_at_least_161_items_over_four_domains_none_under_15(kb):
    items = kb.of_type(ComplianceItem)
    assert len(items) >= 161
    per_domain = Counter(i.domain for i in items)
    assert set(per_domain) == set(DOMAINS)
    assert min(per_domain.values()) >= 15, per_domain


def test_no_item_lacks_citation_advice_or_examples(kb):
    for i in kb.of_type(ComplianceItem):
        roles = {c.role for c in i.citations}
        assert {"obligation", "penalty"} <= roles, i.id
        assert len(i.advice) >= 2 and len(set(i.examples)) >= 3 and i.department and i.frequency_basis, i.id


def test_every_record_type_the_issue_names_is_present(kb):
    types = Counter(r.type for r in kb.records.values())
    for t in ("exemption_rule", "exemption_list", "fee_relief_rule", "mediation_channel", "credit_repair",
              "criminal_risk", "guide"):
        assert types[t] > 0, t
    assert types["criminal_risk"] >= 15 and types["mediation_channel"] >= 12


def test_seed_channels_are_all_there(kb):
    titles = " ".join(r.title for r in kb.records.values() if r.type == "mediation_channel")
    for name in ("商会", "国际民商事调解中心", "诉仲调", "破产衍生", "社会保险费", "边贸", "仲裁", "司法确认", "人民调解"):
        assert name in titles, name


def test_guangxi_list_counts_come_from_the_seed(kb):
    lists = {r.kind: r.count for r in kb.records.values() if r.type == "exemption_list" and r.region == "广西"}
    assert lists.get("首违不罚") == 59 and lists.get("轻微不罚") == 19
    assert lists.get("减轻处罚") == 42 and lists.get("从轻处罚") == 38


def test_criminal_risks_cover_the_seed_areas(kb):
    areas = {r.area for r in kb.records.values() if r.type == "criminal_risk"}
    assert {"安全生产", "环境保护", "税收"} <= areas
    assert any("侵占" in r.crime for r in kb.records.values() if r.type == "criminal_risk")
