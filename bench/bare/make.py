"""The bare baseline of the benchmark: the same NLU pipeline and training data, no custom actions.

Every intent is answered by a canned response (a rule), so the difference to the full assistant is exactly the
knowledge layer: custom actions, forms, retrieval and the rule engines.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent
BUILD = HERE / "build"


def write_project() -> None:
    core = yaml.safe_load((ROOT / "bot/domain/core.yml").read_text(encoding="utf-8"))
    intents = core["intents"]
    domain = {
        "version": "3.1",
        "intents": intents,
        "entities": core["entities"],
        "responses": {f"utter_{i}": [{"text": f"（基线）{i}"}] for i in intents},
        "session_config": core["session_config"],
    }
    rules = {"version": "3.1", "rules": [{"rule": i, "steps": [{"intent": i}, {"action": f"utter_{i}"}]}
                                         for i in intents]}
    rules["rules"].append({"rule": "fallback", "steps": [{"intent": "nlu_fallback"}, {"action": "utter_nonsense"}]})
    (BUILD / "data").mkdir(parents=True, exist_ok=True)
    (BUILD / "domain.yml").write_text(yaml.safe_dump(domain, allow_unicode=True), encoding="utf-8")
    (BUILD / "data" / "rules.yml").write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    # the same configuration as the assistant: NLU pipeline and policies; only actions and forms differ
    shutil.copyfile(ROOT / "config.yml", BUILD / "config.yml")


def train() -> Path:
    write_project()
    out = BUILD / "models"
    cmd = [str(Path(sys.executable).with_name("rasa")), "train", "--config", str(BUILD / "config.yml"),
           "--domain", str(BUILD / "domain.yml"), "--data", str(ROOT / "data" / "nlu"), str(BUILD / "data"),
           "--out", str(out), "--fixed-model-name", "bare"]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    return out


if __name__ == "__main__":
    print(train())
