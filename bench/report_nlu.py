"""Print the intent accuracy of `rasa test nlu` and fail below the floor (a regression guard, not a target)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

FLOOR = 0.80  # measured 0.877 on tests/nlu (406 messages written apart from the training data)


def main(out_dir: str) -> int:
    report = json.loads((Path(out_dir) / "intent_report.json").read_text(encoding="utf-8"))
    acc = report["accuracy"]
    weak = sorted((v["f1-score"], k) for k, v in report.items() if isinstance(v, dict) and "support" in v
                  and k not in ("micro avg", "macro avg", "weighted avg"))[:5]
    print(f"NLU intent accuracy on the held-out test set: {acc:.3f} "
          f"({report['weighted avg']['support']} messages); weakest: "
          + ", ".join(f"{k} {f:.2f}" for f, k in weak))
    if acc < FLOOR:
        print(f"intent accuracy {acc:.3f} is below the floor {FLOOR}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "results/nlu"))
