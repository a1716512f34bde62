"""Choose the intent classifier by measurement: train NLU-only models with each candidate pipeline on the same
data and score them on the held-out test set. Results into bench/results/nlu_pipelines.json (read by bench.run).

  python -m bench.nlu_pipelines            # LogisticRegression (ours) and DIET (100 epochs)
"""
from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
RASA = str(Path(sys.executable).with_name("rasa"))


def candidates() -> dict[str, dict]:
    base = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    lr = copy.deepcopy(base)
    diet = copy.deepcopy(base)
    diet["pipeline"] = [c if c["name"] != "LogisticRegressionClassifier" else
                        {"name": "DIETClassifier", "epochs": 100, "entity_recognition": False, "random_seed": 1}
                        for c in diet["pipeline"]]
    return {"jieba + char n-grams + LogisticRegression (chosen)": lr, "jieba + char n-grams + DIET, 100 epochs": diet}


def measure(name: str, config: dict) -> dict:
    work = Path(tempfile.mkdtemp(prefix="hegui-pipe-"))
    (work / "config.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    env = dict(os.environ, RASA_CACHE_DIRECTORY=str(work / "cache"))  # a full training, no cache
    started = time.perf_counter()
    subprocess.run([RASA, "train", "nlu", "--config", str(work / "config.yml"), "--nlu", "data/nlu",
                    "--out", str(work / "models"), "--fixed-model-name", "m"], cwd=ROOT, check=True,
                   capture_output=True, env=env)
    train_s = time.perf_counter() - started
    subprocess.run([RASA, "test", "nlu", "--model", str(work / "models" / "m.tar.gz"), "--nlu", "tests/nlu",
                    "--out", str(work / "results")], cwd=ROOT, check=True, capture_output=True)
    acc = json.loads((work / "results" / "intent_report.json").read_text())["accuracy"]
    shutil.rmtree(work, ignore_errors=True)
    print(f"{name}: accuracy {acc:.3f}, training {train_s:.0f} s", flush=True)
    return {"name": name, "accuracy": round(acc, 4), "train_s": round(train_s, 1)}


if __name__ == "__main__":
    results = [measure(n, c) for n, c in candidates().items()]
    out = ROOT / "bench" / "results" / "nlu_pipelines.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2))
