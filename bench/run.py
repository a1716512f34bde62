"""`make bench`: the figures of README "Figures", in one run, into bench/results/.

  - training time of the full assistant (and of the bare baseline)
  - NLU intent accuracy on the held-out test set (tests/nlu)
  - knowledge retrieval hit@1 / hit@3 vs a BM25-only baseline, and lookup time per query
  - through the public web front, on PostgreSQL + Redis: latency p50/p95/p99 and throughput at 1, 10 and 50
    concurrent conversations, one and two Rasa replicas, for the full assistant and a bare Rasa assistant
    (same pipeline and NLU data, canned responses, no custom actions), and peak memory per process.
  - a long conversation (one replica, each variant): 60 turns in one conversation, 2 s apart, its turns 1–10
    against 51–60, next to the same ten questions in fresh conversations: whether a turn costs more the longer
    the conversation is (issue 15).
Absolute times on a shared 2-core machine are noisy: the targets are ratios measured in the same run.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
RASA = str(Path(sys.executable).with_name("rasa"))
CONCURRENCY = {1: 40, 10: 20, 50: 12}  # conversations -> turns each
REPEATS = 3  # each load is run this many times; the median run (by throughput) is reported
# the long conversation: ten self-contained questions (no form left waiting), so turns 51–60 repeat turns 1–10
LONG_QUESTIONS = [
    "卖过期食品会被罚多少钱？", "没有明码标价会被罚吗", "虚开发票会坐牢吗", "怎么移出经营异常名录",
    "50万的合同纠纷，简易程序，调解结案，诉讼费多少", "KTV接待未成年人怎么处罚", "灭火器过期了会罚款吗", "依据是什么",
    "网吧没核对身份证罚多少", "谢谢",
]
LONG_TURNS = 60
LONG_PAUSE = 2.0  # seconds between turns, as a person types (--pause)
RUN = os.getpid()  # in database names and sender ids: two bench runs on one machine do not share conversations


def timed_training() -> float:
    """A full training from nothing: a fresh Rasa cache, as in CI (a warm cache would skip unchanged parts)."""
    out = Path(tempfile.mkdtemp(prefix="hegui-train-"))
    env = dict(os.environ, RASA_CACHE_DIRECTORY=str(out / "cache"))
    started = time.perf_counter()
    subprocess.run([RASA, "train", "--config", "config.yml", "--domain", "bot/domain", "--data", "data",
                    "--out", str(out), "--fixed-model-name", "bench"], cwd=ROOT, check=True, capture_output=True,
                   env=env)
    seconds = time.perf_counter() - started
    shutil.rmtree(out, ignore_errors=True)
    return seconds


def nlu_accuracy() -> float:
    out = Path(tempfile.mkdtemp(prefix="hegui-nlu-"))
    subprocess.run([RASA, "test", "nlu", "--model", "models", "--nlu", "tests/nlu", "--out", str(out)], cwd=ROOT,
                   check=True, capture_output=True)
    return json.loads((out / "intent_report.json").read_text())["accuracy"]


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc; clock ticks of 1/100 s)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _median_ms(values: list[float]) -> float:
    return round(1000 * statistics.median(values), 1)


async def long_conversation(url: str, label: str, turns: int = LONG_TURNS, pause: float = LONG_PAUSE) -> dict:
    """One conversation of ``turns`` turns, ``pause`` s apart; then the first ten questions in fresh conversations.
    Each turn's latency through the public front; the medians of turns 1–10, 51–60 and the fresh turns."""
    import aiohttp

    async def ask(session, sender: str, text: str) -> float:
        started = time.perf_counter()
        async with session.post(f"{url}/api/messages", json={"sender": sender, "message": text}) as r:
            body = await r.json(content_type=None)
            if r.status != 200 or not body:
                raise RuntimeError(f"long conversation: {text!r} got {r.status} {body!r}")
        return time.perf_counter() - started

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        long = []
        for i in range(turns):
            long.append(await ask(session, f"long-{label}-{RUN}", LONG_QUESTIONS[i % len(LONG_QUESTIONS)]))
            await asyncio.sleep(pause)
        fresh = []
        for i, text in enumerate(LONG_QUESTIONS):
            fresh.append(await ask(session, f"fresh-{label}-{i}-{RUN}", text))
            await asyncio.sleep(pause)
    first, last = long[:10], long[-10:]
    return {"variant": label, "turns": turns, "pause_s": pause, "first10_p50_ms": _median_ms(first),
            "last10_p50_ms": _median_ms(last), "fresh_p50_ms": _median_ms(fresh),
            "last_over_first": round(statistics.median(last) / statistics.median(first), 3),
            "per_turn_ms": [round(1000 * x, 1) for x in long]}


def load_runs(model: str, replicas: int, label: str, only: tuple[int, ...] | None = None,
              long_case: bool = True) -> tuple[list[dict], dict, dict | None]:
    import psycopg2

    from tests.load import run_load
    from tests.reliability.conftest import PG, production_env
    from tests.stack import Stack

    db = f"hegui_bench_{label}_{replicas}_{RUN}"
    conn = psycopg2.connect(dbname="postgres", **PG)
    conn.autocommit = True
    conn.cursor().execute(f'DROP DATABASE IF EXISTS "{db}"')
    conn.cursor().execute(f'CREATE DATABASE "{db}"')
    rows = []
    stack = Stack(replicas=replicas, action_servers=replicas, endpoints="bot/endpoints.production.yml",
                  env=production_env(db), model=model)
    try:
        stack.start()
        asyncio.run(run_load(stack.url, 4, 3, prefix=f"warm-{label}-{RUN}"))  # warm caches and connection pools
        long = None
        if long_case and replicas == 1:
            before = {n: cpu_seconds(p.pid) for n, p in stack.procs.items()}
            long = asyncio.run(long_conversation(stack.url, label, pause=LONG_PAUSE))
            n_turns = long["turns"] + len(LONG_QUESTIONS)
            long["cpu_ms_per_turn"] = {n: round(1000 * (cpu_seconds(p.pid) - before[n]) / n_turns, 1)
                                       for n, p in stack.procs.items()}
            print(f"  {label:5s} long conversation: turns 1-10 p50 {long['first10_p50_ms']:.0f} ms, 51-60 p50 "
                  f"{long['last10_p50_ms']:.0f} ms ({long['last_over_first']:.2f}×), fresh p50 "
                  f"{long['fresh_p50_ms']:.0f} ms", flush=True)
        for conversations, turns in CONCURRENCY.items():
            if only and conversations not in only:
                continue
            runs = []
            for k in range(REPEATS):
                before = {n: cpu_seconds(p.pid) for n, p in stack.procs.items()}
                summary = asyncio.run(run_load(stack.url, conversations, turns,
                                               prefix=f"{label}-{replicas}-{conversations}-{k}-{RUN}")).summary()
                # CPU milliseconds each process spent per turn: where the time of a turn goes
                summary["cpu_ms_per_turn"] = {n: round(1000 * (cpu_seconds(p.pid) - before[n]) / summary["ok"], 1)
                                              for n, p in stack.procs.items()}
                runs.append(summary)
            median = sorted(runs, key=lambda x: x["turns_per_s"])[len(runs) // 2]
            rows.append({"variant": label, "replicas": replicas, "conversations": conversations, **median,
                         "turns_per_s_runs": [round(x["turns_per_s"], 1) for x in runs]})
            print(f"  {label:5s} replicas={replicas} conv={conversations:2d}: p50 {rows[-1]['p50_ms']:.0f} ms  "
                  f"p95 {rows[-1]['p95_ms']:.0f} ms  {rows[-1]['turns_per_s']:.1f} turns/s  "
                  f"(runs: {rows[-1]['turns_per_s_runs']}; {rows[-1]['ok']}/{rows[-1]['turns']} ok)", flush=True)
        memory = {name: round(peak_rss_mb(p.pid), 1) for name, p in stack.procs.items() if p.poll() is None}
    finally:
        stack.stop()
        conn.cursor().execute(f'DROP DATABASE IF EXISTS "{db}"')
        conn.close()
    return rows, memory, long


def find(rows, variant, replicas, conversations):
    return next(r for r in rows if (r["variant"], r["replicas"], r["conversations"]) == (variant, replicas, conversations))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--quick", action="store_true",
                        help="only the figures of issue 15: one replica, 10 conversations and the long conversation, "
                             "bare and full (no training, NLU or retrieval figures; trains the bare model if absent)")
    parser.add_argument("--pause", type=float, default=LONG_PAUSE, help="seconds between long-conversation turns")
    args = parser.parse_args()
    globals()["LONG_PAUSE"] = args.pause
    if args.quick:
        return quick()
    RESULTS.mkdir(parents=True, exist_ok=True)
    report: dict = {"date": dt.datetime.now().isoformat(timespec="seconds"), "machine": platform.platform(),
                    "cpus": os.cpu_count()}

    print("training the full assistant ...", flush=True)
    report["training_s"] = round(timed_training(), 1)
    print(f"  {report['training_s']} s")
    print("training the bare baseline ...", flush=True)
    from bench.bare.make import train as train_bare

    started = time.perf_counter()
    bare_models = train_bare()
    report["bare_training_s"] = round(time.perf_counter() - started, 1)

    print("NLU accuracy on tests/nlu ...", flush=True)
    report["intent_accuracy"] = round(nlu_accuracy(), 4)
    pipelines = RESULTS / "nlu_pipelines.json"
    if pipelines.exists():
        report["nlu_pipelines"] = json.loads(pipelines.read_text())

    print("retrieval ...", flush=True)
    from bench.retrieval import evaluate

    ret = evaluate()
    ret.pop("misses")
    report["retrieval"] = {k: round(v, 4) if isinstance(v, float) else v for k, v in ret.items()}

    if not args.skip_load:
        rows, memory = [], {}
        longs = []
        for label, model in (("bare", str(bare_models)), ("full", "models")):
            for replicas in (1, 2):
                r, m, long = load_runs(model, replicas, label)
                rows += r
                memory[f"{label}-{replicas}"] = m
                longs += [long] if long else []
        report["load"] = rows
        report["memory_mb"] = memory
        report["long_conversation"] = longs
        full1, bare1 = find(rows, "full", 1, 10), find(rows, "bare", 1, 10)
        full2 = find(rows, "full", 2, 50)
        full1_50 = find(rows, "full", 1, 50)
        report["ratios"] = {
            "p95_overhead": round(full1["p95_ms"] / bare1["p95_ms"] - 1, 3),
            "throughput_share_lost": round(1 - full1["turns_per_s"] / bare1["turns_per_s"], 3),
            "two_replicas_speedup": round(full2["turns_per_s"] / full1_50["turns_per_s"], 3),
        }

    out = RESULTS / "latest.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    (RESULTS / "latest.md").write_text(render(report), encoding="utf-8")
    print("\n" + render(report))
    return 0


def quick() -> int:
    """``python -m bench.run --quick``: bare and full, one replica, 10 conversations and the long conversation."""
    from bench.bare.make import BUILD
    from bench.bare.make import train as train_bare

    bare_models = BUILD / "models"
    if not any(bare_models.glob("*.tar.gz")):
        bare_models = train_bare()
    report: dict = {"date": dt.datetime.now().isoformat(timespec="seconds"), "cpus": os.cpu_count(), "quick": True}
    rows, longs = [], []
    for label, model in (("bare", str(bare_models)), ("full", "models")):
        r, _, long = load_runs(model, 1, label, only=(10,))
        rows += r
        longs.append(long)
    full1, bare1 = find(rows, "full", 1, 10), find(rows, "bare", 1, 10)
    report.update(load=rows, long_conversation=longs, ratios={
        "p95_overhead": round(full1["p95_ms"] / bare1["p95_ms"] - 1, 3),
        "throughput_share_lost": round(1 - full1["turns_per_s"] / bare1["turns_per_s"], 3)})
    out = RESULTS / "quick.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print("\n" + render_long(report) + f"\np95 overhead {report['ratios']['p95_overhead']:+.0%}, throughput lost "
          f"{report['ratios']['throughput_share_lost']:.0%} (10 conversations, 1 replica); CPU ms per turn: " +
          "; ".join(f"{row['variant']}: " + ", ".join(f"{n} {v}" for n, v in row["cpu_ms_per_turn"].items())
                    for row in rows))
    return 0


def render_long(r: dict) -> str:
    lines = ["| long conversation (1 replica, 2 s apart) | turns 1–10 p50 | turns 51–60 p50 | 51–60 / 1–10 | "
             "fresh conversations p50 | CPU ms per turn |", "|---|---|---|---|---|---|"]
    for x in r.get("long_conversation") or []:
        lines.append(f"| {x['variant']} | {x['first10_p50_ms']:.0f} ms | {x['last10_p50_ms']:.0f} ms | "
                     f"{x['last_over_first']:.2f}× (target ≤ 1.2×) | {x['fresh_p50_ms']:.0f} ms | "
                     + ", ".join(f"{n} {v}" for n, v in x["cpu_ms_per_turn"].items()) + " |")
    return "\n".join(lines)


def render(r: dict) -> str:
    lines = [f"# 合规通 benchmark ({r['date']}, {r['cpus']} CPUs)", ""]
    ret = r["retrieval"]
    lines += [
        "| figure | value | target |", "|---|---|---|",
        f"| full training (config + data + KB) | {r['training_s']} s | < 300 s |",
        f"| intent accuracy, held-out set ({'tests/nlu'}) | {r['intent_accuracy']:.1%} | |",
        f"| retrieval hit@1 / hit@3 ({ret['questions']} questions) | {ret['assistant_hit1']:.1%} / "
        f"{ret['assistant_hit3']:.1%} | beat BM25 |",
        f"| BM25-only baseline hit@1 / hit@3 | {ret['baseline_hit1']:.1%} / {ret['baseline_hit3']:.1%} | |",
        f"| gain over BM25 (hit@1 / hit@3) | {ret['assistant_hit1'] - ret['baseline_hit1']:+.1%} / "
        f"{ret['assistant_hit3'] - ret['baseline_hit3']:+.1%} | > 0 |",
        f"| knowledge lookup per query | {ret['lookup_ms']:.1f} ms | |",
    ]
    if "ratios" in r:
        q = r["ratios"]
        lines += [
            f"| p95 added by the knowledge layer (10 conversations, 1 replica) | {q['p95_overhead']:+.0%} | ≤ +30% |",
            f"| throughput lost to the knowledge layer | {q['throughput_share_lost']:.0%} | < 10% |",
            f"| throughput, 2 replicas / 1 replica (50 conversations) | {q['two_replicas_speedup']:.2f}× | ≥ 1.6× |",
        ]
        lines += ["", "| variant | replicas | conversations | p50 ms | p95 ms | p99 ms | turns/s |",
                  "|---|---|---|---|---|---|---|"]
        for row in r["load"]:
            lines.append(f"| {row['variant']} | {row['replicas']} | {row['conversations']} | {row['p50_ms']:.0f} | "
                         f"{row['p95_ms']:.0f} | {row['p99_ms']:.0f} | {row['turns_per_s']:.1f} |")
        lines += ["", "CPU per turn at 50 conversations (ms; processes share 2 cores): " + "; ".join(
            f"{row['variant']}×{row['replicas']}: " + ", ".join(f"{n} {v}" for n, v in row["cpu_ms_per_turn"].items())
            for row in r["load"] if row["conversations"] == 50)]
        if r.get("long_conversation"):
            lines += ["", render_long(r)]
        lines += ["", "Peak memory (MB): " + "; ".join(
            f"{k}: " + ", ".join(f"{n} {v:.0f}" for n, v in m.items()) for k, m in r["memory_mb"].items())]
    if "nlu_pipelines" in r:
        lines += ["", "| NLU pipeline | intent accuracy | training |", "|---|---|---|"]
        for p in r["nlu_pipelines"]:
            lines.append(f"| {p['name']} | {p['accuracy']:.1%} | {p['train_s']:.0f} s |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
