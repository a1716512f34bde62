"""Mediation routing: which dispute channels fit a dispute, ranked, with the reasons.

Channels are mediation_channel records; weights live in ``routing.yml`` beside this file.  A channel is a
candidate only if it takes the dispute type, serves the user's region (a channel for 广西 serves 柳州市;
全国 serves everyone), and — for channels only for foreign-related disputes — the dispute has a foreign party.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import yaml

from knowledge.kb import KnowledgeBase
from knowledge.schema import MediationChannel

WEIGHTS_FILE = Path(__file__).with_name("routing.yml")


@lru_cache(maxsize=1)
def weights() -> dict:
    return yaml.safe_load(WEIGHTS_FILE.read_text(encoding="utf-8"))


@dataclass
class RouteOption:
    channel: MediationChannel
    score: float
    reasons: list[str] = field(default_factory=list)


@dataclass
class RouteResult:
    options: list[RouteOption]
    onward: list[MediationChannel]  # what follows an agreement or a failed mediation (司法确认, 仲裁, 诉讼)
    notes: list[str] = field(default_factory=list)

    @property
    def record_ids(self) -> list[str]:
        return [o.channel.id for o in self.options] + [c.id for c in self.onward]


def route_mediation(
    kb: KnowledgeBase,
    dispute_type: str | None,
    region: str | None = None,
    foreign: bool | None = None,
    amount: Decimal | float | None = None,
    limit: int = 3,
) -> RouteResult:
    w = weights()
    chain = kb.region_chain(region) if region else []
    notes: list[str] = []
    if region and region not in kb.vocab.get("region", {}):
        notes.append(f"暂未收录“{region}”的本地渠道，下面列出全国通用的渠道。")
        chain = ["全国"]
    options: list[RouteOption] = []
    for ch in kb.of_type(MediationChannel):
        reasons: list[str] = []
        score = 0.0
        if dispute_type:
            if dispute_type not in ch.dispute_types:
                continue
            score += w["dispute_match"]
            reasons.append(f"受理{dispute_type}")
        if ch.foreign == "only" and foreign is not True:
            continue
        if chain:
            served = [r for r in ch.regions if r in chain]
            if not served:
                continue
            step = min(chain.index(r) for r in served)
            reasons.append("全国适用" if chain[step] == "全国" else f"服务{chain[step]}")
            score += w["region_local"] - w["region_step_penalty"] * step
        elif "全国" not in ch.regions:
            score += w["region_unknown_local"]
            reasons.append(f"仅限{'、'.join(ch.regions)}")
        if foreign:
            if ch.foreign in ("only", "yes"):
                score += w["foreign_match"]
                reasons.append("可处理涉外纠纷")
            else:
                score += w["foreign_mismatch"]
        if ch.free:
            score += w["free_bonus"]
            reasons.append("不收费")
            if amount is not None and float(amount) < w["small_amount"]:
                score += w["small_amount_free_bonus"]
        score += w["stage_bonus"].get(ch.stage, 0.0)
        options.append(RouteOption(ch, round(score, 3), reasons))
    options.sort(key=lambda o: (-o.score, o.channel.id))
    first = [o for o in options if o.channel.stage not in ("confirmation", "enforcement", "service")][:limit]
    onward = [o.channel for o in options if o.channel.stage in ("confirmation", "arbitration", "litigation")]
    onward = [c for c in onward if c.id not in {o.channel.id for o in first}][:3]
    if not first:
        notes.append("没有找到完全对应的调解渠道，可以拨打12348公共法律服务热线或12345咨询。")
    return RouteResult(first, onward, notes)
