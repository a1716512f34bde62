"""The form registry is the one source: the generated domain and rules are what it produces, and it is coherent."""
import pytest
import yaml

from actions.registry import load, registry
from bot.dialogue import generate


def test_generated_form_domain_and_rules_are_up_to_date():
    for path, text in generate.outputs().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.name} is out of date: run `python -m bot.dialogue.generate`")


def test_no_other_domain_file_declares_a_registry_slot_or_form_action():
    domain_dir = generate.DOMAIN_OUT.parent
    names = set(registry().slots)
    for path in domain_dir.glob("*.yml"):
        if path == generate.DOMAIN_OUT:
            continue
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        assert not names & set(doc.get("slots") or {}), path.name
        actions = [next(iter(a)) if isinstance(a, dict) else a for a in doc.get("actions") or []]
        assert not [a for a in actions if a.startswith(("validate_", "action_ask_"))], path.name
        assert not doc.get("forms"), path.name


def test_slots_are_typed_no_strings_standing_for_booleans():
    for spec in registry().slots.values():
        assert spec.type != "any"
        if spec.type == "bool":
            assert all(isinstance(v, bool) for v in spec.answers.values())
            assert all(isinstance(v, bool) for v, _ in spec.implied)
            for b in (spec.question or {}).get("buttons") or []:
                assert '"true"' not in b["payload"] and '"false"' not in b["payload"]


def test_every_form_answers_its_own_intent_and_asks_only_what_it_has_a_question_for():
    reg = registry()
    intents = [f.intent for f in reg.forms.values()]
    assert len(intents) == len(set(intents))
    for form in reg.forms.values():
        assert set(form.asks) <= set(form.slots)
        assert all(reg.slots[s].question for s in form.asks)


def test_the_registry_refuses_a_form_that_asks_without_a_question(tmp_path):
    raw = yaml.safe_load(generate.ROOT.joinpath("actions", "form_registry.yml").read_text(encoding="utf-8"))
    raw["forms"]["relief_form"]["asks"] = ["party_type"]
    path = tmp_path / "registry.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match="no question"):
        load(path)


def test_an_implied_value_must_be_one_of_the_slots_values(tmp_path):
    raw = yaml.safe_load(generate.ROOT.joinpath("actions", "form_registry.yml").read_text(encoding="utf-8"))
    raw["slots"]["procedure"]["implied"].append({"fast": ["快速"]})
    path = tmp_path / "registry.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match="not one of its values"):
        load(path)
