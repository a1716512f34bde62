"""`python -m knowledge validate` rejects wrong content, naming the record."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from knowledge.kb import KnowledgeBase
from knowledge.validate import check

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "knowledge" / "data"


@pytest.fixture
def data_copy(tmp_path):
    dest = tmp_path / "data"
    shutil.copytree(DATA, dest, ignore=shutil.ignore_patterns("texts"))
    return dest


def problems_for(data_dir: Path) -> list[str]:
    kb = KnowledgeBase.from_files(data_dir, strict=False)
    return [str(p) for p in check(kb)]


def edit_first_item(data_dir: Path, change) -> str:
    path = data_dir / "records" / "compliance" / "market_food.yml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    item = doc["records"][0]
    change(item, doc)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return item["id"]


def test_the_shipped_data_is_valid(kb):
    assert check(kb) == []


def test_cli_validate_passes_on_shipped_data():
    out = subprocess.run([sys.executable, "-m", "knowledge", "validate"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ok:")


def test_a_corrupted_quote_is_rejected_naming_the_record(data_copy, monkeypatch):
    def corrupt(item, doc):
        q = item["citations"][0]["quote"]
        item["citations"][0]["quote"] = q[:-3] + "罚款" + q[-2:]  # one changed character is enough

    rid = edit_first_item(data_copy, corrupt)
    problems = problems_for(data_copy)
    assert any(rid in p and "not found verbatim" in p for p in problems), problems


def test_cli_exits_non_zero_on_corrupted_quote(data_copy, tmp_path):
    rid = edit_first_item(data_copy, lambda item, doc: item["citations"][0].update(quote="违法行为轻微并及时改正的可以随便罚"))
    out = subprocess.run([sys.executable, "-m", "knowledge", "--data-dir", str(data_copy), "validate"], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 1
    assert rid in out.stderr


def test_duplicate_ids_are_rejected(data_copy):
    def dup(item, doc):
        doc["records"].append(dict(doc["records"][1], id=item["id"]))

    rid = edit_first_item(data_copy, dup)
    assert any("duplicate id" in p and rid in p for p in problems_for(data_copy))


def test_missing_required_field_is_rejected(data_copy):
    rid = edit_first_item(data_copy, lambda item, doc: item.pop("advice"))
    assert any(rid in p and "advice" in p for p in problems_for(data_copy))


def test_dangling_reference_is_rejected(data_copy):
    rid = edit_first_item(data_copy, lambda item, doc: item.update(related=["market.nope.missing"]))
    assert any(rid in p and "market.nope.missing" in p for p in problems_for(data_copy))


def test_penalty_must_come_from_the_penalty_article(data_copy):
    rid = edit_first_item(data_copy, lambda item, doc: item.update(penalty="处一百万元罚款"))
    assert any(rid in p and "penalty" in p for p in problems_for(data_copy))


def test_unknown_article_and_law(data_copy):
    rid = edit_first_item(data_copy, lambda item, doc: item["citations"][0].update(article="第九百九十九条"))
    assert any(rid in p and "no article" in p for p in problems_for(data_copy))
    rid = edit_first_item(data_copy, lambda item, doc: item["citations"][0].update(law="不存在法"))
    assert any(rid in p and "unknown law" in p for p in problems_for(data_copy))


def test_unknown_industry_is_rejected(data_copy):
    rid = edit_first_item(data_copy, lambda item, doc: item.update(industries=["外星贸易"]))
    assert any(rid in p and "industry" in p for p in problems_for(data_copy))


def edit_record(data_dir: Path, rel: str, rid: str, change) -> None:
    path = data_dir / "records" / rel
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(next(r for r in doc["records"] if r["id"] == rid))
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")


FIRST_TIER_55 = ("由市场监督管理部门责令停止发布广告，责令广告主在相应范围内消除影响，处广告费用三倍以上五倍以下的罚款，"
                 "广告费用无法计算或者明显偏低的，处二十万元以上一百万元以下的罚款")


def test_a_penalty_cut_at_the_first_tier_is_rejected(data_copy):
    """广告法 第五十五条 goes on to 5–10×, 100–200万 and revocation: stopping at the first 「；」 misstates it."""
    edit_record(data_copy, "compliance/market_pricing_ads.yml", "market.ads.false_ads",
                lambda r: r.update(penalty=FIRST_TIER_55))
    problems = problems_for(data_copy)
    assert any("market.ads.false_ads" in p and "stops before" in p for p in problems), problems


def test_a_penalty_leaving_out_the_confiscation_is_rejected(data_copy):
    edit_record(data_copy, "compliance/market_food.yml", "market.food.expired_food", lambda r: r.update(
        penalty="违法生产经营的食品、食品添加剂货值金额不足一万元的，并处五万元以上十万元以下罚款；货值金额一万元以上的，"
                "并处货值金额十倍以上二十倍以下罚款；情节严重的，吊销许可证"))
    problems = problems_for(data_copy)
    assert any("market.food.expired_food" in p and "starts after" in p for p in problems), problems


def test_a_penalty_adding_to_the_previous_paragraph_needs_its_sanction(data_copy):
    edit_record(data_copy, "compliance/tourism_culture.yml", "tourism.agency.licence_lending",
                lambda r: r.update(penalty=r["penalty"].split("……")[1]))
    problems = problems_for(data_copy)
    assert any("tourism.agency.licence_lending" in p and "前款" in p for p in problems), problems


def test_every_passage_of_a_joined_penalty_is_verbatim(data_copy):
    edit_record(data_copy, "compliance/tourism_culture.yml", "tourism.agency.licence_lending",
                lambda r: r.update(penalty=r["penalty"].split("……")[0] + "……并处一百万元罚款"))
    problems = problems_for(data_copy)
    assert any("tourism.agency.licence_lending" in p and "not verbatim" in p for p in problems), problems
