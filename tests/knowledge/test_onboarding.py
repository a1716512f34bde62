"""What a newly registered business is told (knowledge/onboarding.py, knowledge/relevance.py, data/relevance).

The expected licences below are written by hand from the statutes, not read from the data files: the test fails
when the data stops listing a licence an industry needs.
"""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge import onboarding, relevance
from knowledge.onboarding import FIRST_PUSH_LIMIT, business_kind, compose
from knowledge.schema import CriminalRisk

INDIVIDUAL = "92450100MA5KB1234F"  # 个体工商户
ENTERPRISE = "91450100MA5KB1234F"  # 企业: the name tells the form
COOPERATIVE = "93450100MA5KB1234F"
TODAY = dt.date(2025, 7, 1)

# industry -> (licence or certificate as the checklist names it, the article it rests on)
LICENCES = {
    "餐饮": [("食品经营许可证", "食品安全法", "第三十五条"), ("从业人员健康证明", "食品安全法", "第四十五条"),
           ("公众聚集场所消防安全检查", "消防法", "第十五条")],
    "超市": [("食品经营许可证", "食品安全法", "第三十五条"), ("计量器具强制检定", "计量法", "第九条")],
    "食品生产": [("食品生产许可证", "食品安全法", "第三十五条"), ("从业人员健康证明", "食品安全法", "第四十五条")],
    "美容美发": [("公共场所卫生许可证", "公共场所卫生管理条例", "第八条"),
             ("服务人员健康合格证", "公共场所卫生管理条例", "第七条")],
    "酒店民宿": [("旅馆开业的公安机关意见", "旅馆业治安管理办法", "第四条"),
             ("公共场所卫生许可证", "公共场所卫生管理条例", "第八条"), ("公众聚集场所消防安全检查", "消防法", "第十五条")],
    "娱乐场所": [("娱乐经营许可证及公安备案", "娱乐场所管理条例", "第九条"), ("公众聚集场所消防安全检查", "消防法", "第十五条")],
    "网吧": [("上网服务经营许可", "互联网上网服务营业场所管理条例", "第七条"), ("公众聚集场所消防安全检查", "消防法", "第十五条")],
    "旅行社": [("旅行社业务经营许可证", "旅游法", "第二十八条"), ("旅行社质量保证金", "旅行社条例", "第十三条")],
    "烟草零售": [("烟草专卖零售许可证", "烟草专卖法", "第十六条")],
    "出版印刷": [("出版物经营许可证", "出版管理条例", "第三十五条")],
    "人力资源服务": [("人力资源服务许可证或备案", "人力资源市场暂行条例", "第十八条")],
    "网店": [("网店首页公示执照和许可", "电子商务法", "第十五条")],
    "生产制造": [("安全生产教育和培训", "安全生产法", "第二十八条")],
    "演出": [("营业性演出许可证", "营业性演出管理条例", "第六条")],
}
# what every business learns in its first 30 days, whatever its industry
EVERYONE = [("税务登记", "税收征收管理法", "第十五条"), ("营业执照亮照经营", "市场主体登记管理条例", "第三十六条")]

KINDS = {  # (credit code, name) -> what the push must call it
    "个体工商户": (INDIVIDUAL, "张记{}小店", "个体工商户"),
    "公司": (ENTERPRISE, "广西某某{}有限公司", "有限责任公司"),
}


def push_for(kb, industry: str, kind: str, **kw):
    code, name, _ = KINDS[kind]
    return compose(kb, name.format(industry), code, industry, today=TODAY, **kw)


def verbatim(kb, law: str, article: str, quote: str) -> bool:
    text = kb.statutes[law].article(article)
    return text is not None and quote in text


def tagged_for(industry: str) -> set[str]:
    """Criminal risks the relevance file tags for this industry, read straight from the YAML."""
    raw = yaml.safe_load((relevance.RELEVANCE_DIR / "criminal_risk.yml").read_text(encoding="utf-8"))
    return {rid for rid, tag in raw["tags"].items() if industry in tag["industries"]}


# ---------------------------------------------------------------------------------------------- the first push


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("industry", sorted(LICENCES))
def test_first_push_fits_one_screen_and_names_the_kind(kb, industry, kind):
    o = push_for(kb, industry, kind)
    text = o.first_push_text()
    assert len(text) <= FIRST_PUSH_LIMIT
    assert f"（{KINDS[kind][2]} · {industry}）" in text.splitlines()[1]
    assert KINDS[kind][1].format(industry) in text
    assert 3 <= len(o.top) <= 5
    numbered = [line for line in text.splitlines() if line[:2] in {f"{i}." for i in range(1, 6)}]
    assert len(numbered) == len(o.top)
    for line, step in zip(numbered, o.top, strict=True):  # each thing: what to do, then its basis in one line
        assert line.endswith(f"（{step.basis[0]}{step.basis[1]}）") and step.todo in line
    assert "首次年报：2026年1月1日至6月30日报送2025年度报告" in text
    assert "不构成法律意见" in text


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("industry", sorted(LICENCES))
def test_no_criminal_risk_without_a_tag_for_the_industry(kb, industry, kind):
    o = push_for(kb, industry, kind)
    allowed = tagged_for(industry)
    assert {r.id for r in o.risks} <= allowed
    assert all(isinstance(r, CriminalRisk) for r in o.risks)
    assert "criminal.finance.illegal_deposits" not in {r.id for r in o.risks}


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("industry", sorted(LICENCES))
def test_checklist_lists_the_industrys_licences_with_verbatim_citations(kb, industry, kind):
    o = push_for(kb, industry, kind)
    text = o.checklist_text()
    quotes = o.checklist_quotes()
    for title, law, article in LICENCES[industry] + EVERYONE:
        line = next((ln for ln in text.splitlines() if ln.startswith(f"□ {title}：")), None)
        assert line is not None, f"{industry}: {title} missing from the checklist"
        step = next(s for s in o.checklist if s.title == title)
        assert (law, article) in {(q[0], q[1]) for q in step.quotes}
        assert line.endswith(f"（{step.basis[0]}{step.basis[1]}）")
        assert any(q[:2] == (law, article) for q in quotes)
    for law, article, quote in quotes + o.first_push_quotes():
        assert verbatim(kb, law, article, quote), (law, article, quote[:30])


def test_a_noodle_shop_hears_about_food_not_deposits(kb):
    o = compose(kb, "南宁市老友记面馆", INDIVIDUAL, "餐饮", today=TODAY)
    ids = [r.id for r in o.risks]
    assert ids[:2] == ["criminal.food.unsafe_food", "criminal.food.toxic_food"]  # the industry's own first
    assert "criminal.finance.illegal_deposits" not in ids and "criminal.safety.major_accident" not in ids
    assert [s.id for s in o.top[:2]] == ["onboarding.food_business_licence", "onboarding.food_health_certificate"]


def test_kind_changes_what_matters(kb):
    shop = push_for(kb, "餐饮", "个体工商户")
    company = push_for(kb, "餐饮", "公司")
    # 住房公积金管理条例 第二条: 单位 are enterprises and organisations, not 个体工商户
    assert "onboarding.housing_fund" in [s.id for s in company.top]
    assert "onboarding.housing_fund" not in [s.id for s in shop.steps]
    assert "onboarding.capital_contribution" in [s.id for s in company.checklist]
    assert "onboarding.capital_contribution" not in [s.id for s in shop.checklist]
    # 职务侵占 and 挪用资金 concern 公司、企业或者其他单位 (刑法 第二百七十一、二百七十二条)
    assert "criminal.embezzlement.job_embezzlement" in [r.id for r in company.risks]
    assert "criminal.embezzlement.job_embezzlement" not in [r.id for r in shop.risks]


@pytest.mark.parametrize("code, name", [(INDIVIDUAL, "张记旅游服务部"), (ENTERPRISE, "某某旅游服务中心（普通合伙）"),
                                        (ENTERPRISE, "某某旅游服务部（个人独资）"), (COOPERATIVE, "某某乡村旅游专业合作社")])
def test_a_travel_agency_that_is_not_a_corporation_is_told_first(kb, code, name):
    o = compose(kb, name, code, "旅行社", today=TODAY)
    assert o.top[0].id == "onboarding.travel_agency_enterprise_form"
    assert o.kind.label in o.top[0].todo  # 旅行社条例 第六条: 企业法人资格
    company = compose(kb, "某某旅行社有限公司", ENTERPRISE, "旅行社", today=TODAY)
    assert "onboarding.travel_agency_enterprise_form" not in [s.id for s in company.steps]


def test_industries_without_a_quoted_licence_say_so(kb):
    o = compose(kb, "某某大药房", INDIVIDUAL, "药店", today=TODAY)
    text = o.first_push_text()
    assert "先确认：" in text and "药品管理法" in text and "未收录" in text
    assert "药品管理法" not in {q[0] for q in o.checklist_quotes()}  # named, never quoted
    assert "药品管理法" in o.checklist_text()


@settings(max_examples=200, deadline=None)
@given(industry=st.sampled_from(sorted(set(yaml.safe_load(
           (Path(relevance.__file__).parent / "data/vocab/industries.yml").read_text(encoding="utf-8"))
           ["entities"]["industry"]) - {"全部行业"}) + ["量子计算软件开发"]),
       code=st.sampled_from([INDIVIDUAL, ENTERPRISE, COOPERATIVE, "52450100MA5KB1234F", "91450100MA5KB1234F"]),
       name=st.text(min_size=2, max_size=100), year=st.integers(2020, 2030))
def test_every_industry_kind_and_name_fits_one_screen(kb, industry, code, name, year):
    o = compose(kb, name, code, industry, registered_on=dt.date(year, 3, 1), today=dt.date(year, 3, 1))
    text = o.first_push_text()
    assert len(text) <= FIRST_PUSH_LIMIT
    assert f"（{o.kind.label} · " in text
    assert 3 <= len(o.top) <= 5


def test_unknown_industry_gets_general_steps_and_no_criminal_list(kb):
    o = compose(kb, "某某科技有限公司", ENTERPRISE, "量子计算软件开发", today=TODAY)
    assert o.industries == [] and o.risks == []
    assert [f.what for f in o.follow_ups] == ["annual_report"]
    assert "行业未能识别" in o.first_push_text()
    assert all(s.specificity > 0 for s in o.steps)


# ---------------------------------------------------------------------------------------------- kind of business


@pytest.mark.parametrize("code, name, key, label", [
    (INDIVIDUAL, "南宁市老友记面馆", "个体工商户", "个体工商户"),
    (INDIVIDUAL, "某某有限公司", "个体工商户", "个体工商户"),  # the code decides; the name cannot make it a company
    (COOPERATIVE, "某某种植专业合作社", "农民专业合作社", "农民专业合作社"),
    (ENTERPRISE, "南宁市老友记餐饮有限公司", "有限责任公司", "有限责任公司"),
    (ENTERPRISE, "广西某某科技有限责任公司南宁分公司", "有限责任公司", "有限责任公司"),
    (ENTERPRISE, "广西某某股份有限公司", "股份有限公司", "股份有限公司"),
    (ENTERPRISE, "某某投资中心（有限合伙）", "合伙企业", "合伙企业"),
    (ENTERPRISE, "某某百货店（个人独资）", "个人独资企业", "个人独资企业"),
    (ENTERPRISE, "某某五金店", "其他企业", "企业"),
    ("52450100MA5KB1234F", "某某职业培训学校", "其他组织", "非市场监管部门登记的组织"),
])
def test_business_kind_from_code_and_name(code, name, key, label):
    kind = business_kind(code, name)
    assert (kind.key, kind.label) == (key, label)
    assert code[:1] in kind.reason


# ---------------------------------------------------------------------------------------------- annual report


def test_individual_business_first_report_is_derived_and_says_so(kb):
    o = push_for(kb, "餐饮", "个体工商户")
    text, checklist = o.first_push_text(), o.checklist_text()
    assert "首次年报：2026年1月1日至6月30日报送2025年度报告，可纸质报送、自选是否公示（市场主体登记管理条例实施细则第六十三条）" in text
    assert "企业年度报告" not in text + checklist
    assert "推算" in checklist and "未收录、未引用" in checklist
    cited = {(q[0], q[1]) for q in o.first_push_quotes()}
    assert ("市场主体登记管理条例实施细则", "第六十三条") in cited and ("企业信息公示暂行条例", "第二十四条") in cited
    assert ("企业信息公示暂行条例", "第八条") not in cited  # the enterprise rule is not quoted as if it applied
    assert o.annual.rule.guide == "guide.annual_report.individual_business"


def test_company_first_report_is_quoted_with_its_version_caveat(kb):
    o = push_for(kb, "餐饮", "公司")
    assert "（企业信息公示暂行条例第八条）" in o.first_push_text()
    assert "2014年文本" in o.checklist_text()
    assert ("企业信息公示暂行条例", "第八条", "当年设立登记的企业，自下一年起报送并公示年度报告。") in o.first_push_quotes()
    assert o.annual.deadline == dt.date(2026, 6, 30)


def test_first_report_follows_the_registration_date(kb):
    late = compose(kb, "某某面馆", INDIVIDUAL, "餐饮", registered_on=dt.date(2024, 12, 30), today=dt.date(2025, 1, 3))
    assert "首次年报：2025年1月1日至6月30日报送2024年度报告" in late.first_push_text()
    assert "已过" not in late.first_push_text()
    old = compose(kb, "某某面馆", INDIVIDUAL, "餐饮", registered_on=dt.date(2023, 5, 1), today=TODAY)
    assert old.annual.overdue and "该期限已过" in old.first_push_text()


def test_other_organisations_are_not_given_a_market_entity_deadline(kb):
    o = compose(kb, "某某职业培训学校", "52450100MA5KB1234F", "教育培训", today=TODAY)
    assert o.annual.deadline is None and "首次年报：" not in o.first_push_text()
    assert "不适用" in o.first_push_text()


# ---------------------------------------------------------------------------------------------- validation


@pytest.fixture
def relevance_copy(tmp_path):
    dest = tmp_path / "relevance"
    shutil.copytree(relevance.RELEVANCE_DIR, dest)
    return dest


def edit(path: Path, change) -> None:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(raw)
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")


def problems(kb, directory: Path) -> list[str]:
    return [str(p) for p in relevance.check(kb, relevance.load(directory))]


def test_shipped_relevance_data_is_valid(kb):
    assert relevance.check(kb) == []


def test_validator_rejects_bad_relevance_data(kb, relevance_copy):
    def break_tags(raw):
        raw["tags"]["criminal.finance.illegal_deposits"] = {"industries": {"全部行业": 1}}
        raw["tags"]["criminal.no_such_crime"] = {"industries": {"餐饮": 1}}
        raw["tags"]["criminal.food.unsafe_food"]["industries"]["面馆业"] = 2
        raw["tags"]["criminal.food.toxic_food"]["industries"]["网吧"] = 1  # not among the record's industries

    def break_checklist(raw):
        raw["checklist"][0]["citations"][0]["quote"] += "（改）"
        raw["checklist"][1]["kinds"] = ["私营企业"]
        raw["checklist"][2]["related"] = ["labour.no_such_item"]

    def drop_individual_rule(raw):
        raw["annual_report"] = [r for r in raw["annual_report"] if "个体工商户" not in r["kinds"]]

    edit(relevance_copy / "criminal_risk.yml", break_tags)
    edit(relevance_copy / "checklist.yml", break_checklist)
    edit(relevance_copy / "annual_report.yml", drop_individual_rule)
    found = "\n".join(problems(kb, relevance_copy))
    assert "criminal.finance.illegal_deposits: criminal risks are tagged industry by industry" in found
    assert "criminal.no_such_crime: tags a record id that does not exist" in found
    assert "'面馆业' is not a canonical name" in found
    assert "'网吧' is not among the record's own industries" in found
    assert "onboarding.licence_display: quote not found verbatim in 市场主体登记管理条例 第三十六条" in found
    assert "kind '私营企业'" in found
    assert "related id 'labour.no_such_item' does not exist" in found
    assert "kind '个体工商户' is covered by 0 rules" in found


def test_compose_reads_only_what_the_data_says(kb, relevance_copy):
    """Untag a crime for 餐饮 and it is gone from a restaurant's notice: the ranking is data, not code."""
    edit(relevance_copy / "criminal_risk.yml",
         lambda raw: raw["tags"]["criminal.food.toxic_food"]["industries"].pop("餐饮"))
    data = relevance.load(relevance_copy)
    o = compose(kb, "某某面馆", INDIVIDUAL, "餐饮", today=TODAY, data=data)
    assert "criminal.food.toxic_food" not in [r.id for r in o.risks]
    assert "criminal.food.toxic_food" in [r.id for r in push_for(kb, "餐饮", "个体工商户").risks]


def test_match_industries(kb):
    m = onboarding.match_industries
    assert m(kb, "餐饮服务") == ["餐饮"]
    assert m(kb, "小吃店") == ["餐饮"]
    assert m(kb, "烟草零售") == ["烟草零售"]  # not also 零售
    assert m(kb, "KTV、酒吧") == ["娱乐场所"]
    assert m(kb, "软件和信息技术服务业") == []


def test_a_business_in_two_industries_gets_both_licences(kb):
    o = compose(kb, "某某便利店", INDIVIDUAL, "便利店、卖烟", today=TODAY)
    assert o.industries == ["超市", "烟草零售"]
    titles = {s.title for s in o.checklist}
    assert {"食品经营许可证", "烟草专卖零售许可证"} <= titles
    assert "（个体工商户 · 超市、烟草零售）" in o.first_push_text()
    assert [f.industry for f in o.follow_ups if f.industry] == ["超市", "超市"]  # buttons for the first industry
