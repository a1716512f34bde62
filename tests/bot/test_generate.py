"""A maintainer adds an item by editing one data file: the NLU data and dictionary follow without code changes."""
import shutil
from pathlib import Path

import yaml

from bot.nlu import generate
from knowledge.kb import KnowledgeBase

ROOT = Path(__file__).resolve().parents[2]


def test_a_new_item_in_a_data_file_reaches_the_training_data_and_dictionary(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "knowledge" / "data", data, ignore=shutil.ignore_patterns("texts"))
    path = data / "records" / "compliance" / "market_food.yml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    new = dict(doc["records"][0], id="market.food.test_new_item", title="测试新增条目标题",
               synonyms=["测试专用新说法"], examples=["测试专用问题一", "测试专用问题二", "测试专用问题三"])
    doc["records"].append(new)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    kb = KnowledgeBase.from_files(data)
    examples = generate.intent_examples(kb)["ask_compliance"]
    assert {"测试专用问题一", "测试专用问题二", "测试专用问题三"} <= set(examples)
    assert "测试专用新说法" in generate.lookups(kb)["violation"]
    assert "测试专用新说法" in generate.dictionary_words(kb)


def test_generated_examples_never_repeat_a_handwritten_one_or_each_other(kb):
    handwritten = generate._handwritten_examples()
    generated = [e for exs in generate.intent_examples(kb).values() for e in exs]
    assert len(generated) == len(set(generated))
    assert not {e for e in generated if e in handwritten}


def test_synonyms_are_unambiguous(kb):
    syn = generate.synonyms(kb)
    forms = [f for fs in syn.values() for f in fs]
    assert len(forms) == len(set(forms))
    assert not set(forms) & set(syn)
    assert "饭店" in syn["餐饮"]


def test_committed_generated_files_are_up_to_date(kb, tmp_path, monkeypatch):
    """The generated NLU files in the repository are what the data files produce (make nlu was run)."""
    monkeypatch.setattr(generate, "NLU_OUT", tmp_path / "nlu")
    monkeypatch.setattr(generate, "JIEBA_OUT", tmp_path / "jieba")
    generate.generate(kb)
    for name in ("knowledge_examples.yml", "lookups.yml"):
        assert (tmp_path / "nlu" / name).read_text(encoding="utf-8") == \
            (ROOT / "data" / "nlu" / "generated" / name).read_text(encoding="utf-8"), name
    assert (tmp_path / "jieba" / "knowledge_terms.txt").read_text(encoding="utf-8") == \
        (ROOT / "bot" / "nlu" / "generated" / "jieba" / "knowledge_terms.txt").read_text(encoding="utf-8")
