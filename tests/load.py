"""A conversation load driver: N concurrent conversations, each sending its turns one after another.

Written for exact accounting rather than raw load: every turn's status and latency is recorded per
conversation, so the tracker store can be checked for lost, duplicated or reordered turns afterwards.
"""
from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field

import aiohttp

QUESTIONS = [
    "卖过期食品会被罚多少钱？", "你好", "没有明码标价会被罚吗", "虚开发票会坐牢吗", "怎么移出经营异常名录",
    "50万的合同纠纷，简易程序，调解结案，诉讼费多少", "谢谢", "KTV接待未成年人怎么处罚", "灭火器过期了会罚款吗",
    "员工没签劳动合同会怎样", "遗产怎么继承", "依据是什么", "网吧没核对身份证罚多少", "公司资金紧张诉讼费能缓交吗",
]


@dataclass
class Turn:
    sender: str
    index: int
    text: str
    status: int
    latency: float
    answered: bool


@dataclass
class LoadResult:
    turns: list[Turn] = field(default_factory=list)
    wall: float = 0.0

    @property
    def ok(self) -> list[Turn]:
        return [t for t in self.turns if t.status == 200]

    def latency_ms(self, q: float) -> float:
        lat = sorted(t.latency for t in self.ok)
        if not lat:
            return float("nan")
        return 1000 * lat[min(len(lat) - 1, int(q * len(lat)))]

    @property
    def throughput(self) -> float:
        return len(self.ok) / self.wall if self.wall else 0.0

    def summary(self) -> dict:
        return {"turns": len(self.turns), "ok": len(self.ok), "p50_ms": self.latency_ms(0.5),
                "p95_ms": self.latency_ms(0.95), "p99_ms": self.latency_ms(0.99),
                "mean_ms": 1000 * statistics.fmean(t.latency for t in self.ok) if self.ok else float("nan"),
                "turns_per_s": self.throughput}


def script(conversation: int, turns: int) -> list[str]:
    return [QUESTIONS[(conversation + i) % len(QUESTIONS)] for i in range(turns)]


async def run_load(url: str, conversations: int, turns: int, prefix: str = "load",
                   on_progress=None, timeout: float = 120.0) -> LoadResult:
    result = LoadResult()
    done = 0
    total = conversations * turns

    async def conversation(session: aiohttp.ClientSession, c: int) -> None:
        nonlocal done
        sender = f"{prefix}-{c}"
        for i, text in enumerate(script(c, turns)):
            started = time.perf_counter()
            try:
                async with session.post(f"{url}/api/messages", json={"sender": sender, "message": text}) as r:
                    body = await r.json(content_type=None)
                    status = r.status
            except (aiohttp.ClientError, asyncio.TimeoutError):
                body, status = None, 0
            answered = status == 200 and isinstance(body, list) and bool(body)
            result.turns.append(Turn(sender, i, text, status, time.perf_counter() - started, answered))
            done += 1
            if on_progress:
                await on_progress(done, total)

    started = time.perf_counter()
    conn = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=conn, timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        await asyncio.gather(*(conversation(session, c) for c in range(conversations)))
    result.wall = time.perf_counter() - started
    return result
