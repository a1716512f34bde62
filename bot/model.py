"""`python -m bot.model ensure`: train only when training data, domain, config or the knowledge base changed.

The fingerprint covers everything a model is made from (including the knowledge data, because the entity
patterns and generated examples come from it) and is stored next to the model it produced.
"""
from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models"
STAMP = MODELS / "fingerprint.txt"
INPUTS = ["config.yml", "bot/domain", "data", "bot/nlu", "knowledge/data", "knowledge/text.py", "knowledge/amounts.py"]


def fingerprint() -> str:
    h = hashlib.sha256()
    for entry in INPUTS:
        path = ROOT / entry
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for f in files:
            if "__pycache__" in f.parts:
                continue
            h.update(f.relative_to(ROOT).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def latest_model() -> Path | None:
    models = sorted(MODELS.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def is_stale() -> bool:
    return latest_model() is None or not STAMP.exists() or STAMP.read_text().strip() != fingerprint()


def train(force: bool = False) -> Path:
    if not force and not is_stale():
        print(f"model is up to date: {latest_model().name}")
        return latest_model()
    fp = fingerprint()
    MODELS.mkdir(exist_ok=True)
    print("training the model (training data, domain, config or knowledge changed) ...", flush=True)
    started = time.monotonic()
    cmd = [sys.executable, "-m", "rasa", "train", "--config", "config.yml", "--domain", "bot/domain",
           "--data", "data", "--out", "models", "--fixed-model-name", f"hegui-{fp}"]
    subprocess.run(cmd, cwd=ROOT, check=True)
    STAMP.write_text(fp + "\n")
    for old in MODELS.glob("*.tar.gz"):
        if old.name != f"hegui-{fp}.tar.gz":
            old.unlink()
    print(f"trained in {time.monotonic() - started:.0f} s: models/hegui-{fp}.tar.gz")
    return MODELS / f"hegui-{fp}.tar.gz"


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "ensure"
    if command == "fingerprint":
        print(fingerprint())
    elif command in ("ensure", "train"):
        train(force=command == "train")
    else:
        sys.exit("usage: python -m bot.model [ensure|train|fingerprint]")
