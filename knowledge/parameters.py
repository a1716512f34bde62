"""Legal parameters kept as data, the way OpenFisca country packages keep them.

Each YAML file under ``data/parameters/`` is one parameter: a description, values keyed by the date they took
effect (or ``brackets`` for a scale), and ``metadata.reference`` naming the article it comes from with a verbatim
quote.  The parameter's name is its path: ``litigation_fee/property.yml`` is ``litigation_fee.property``.
Code asks for a parameter *at a date* and never holds a legal figure itself.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

PARAM_DIR = Path(__file__).parent / "data" / "parameters"


def _as_date(key: Any) -> dt.date:
    if isinstance(key, dt.date):
        return key
    return dt.date.fromisoformat(str(key))


def _at(values: dict, on: dt.date) -> Any:
    """Value in force on ``on``: the one with the latest start date not after it."""
    dated = sorted(((_as_date(k), v) for k, v in values.items()), key=lambda kv: kv[0])
    current = None
    for start, value in dated:
        if start <= on:
            current = value
    if current is None:
        raise LookupError(f"no value in force on {on.isoformat()} (first starts {dated[0][0]})")
    return current


def _dec(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _dec(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class Reference:
    law: str
    article: str
    quote: str


@dataclass(frozen=True)
class Bracket:
    threshold: Decimal
    rate: Decimal | None
    amount: Decimal | None
    reference: Reference | None


@dataclass(frozen=True)
class Scale:
    """Marginal scale: each bracket taxes the part of the base above its threshold, up to the next one;
    a bracket with a fixed ``amount`` charges that amount once the base exceeds its threshold."""

    brackets: tuple[Bracket, ...]

    def apply(self, base: Decimal) -> list[tuple[Bracket, Decimal, Decimal]]:
        """Return (bracket, part of base in it, fee for it) for every bracket the base reaches."""
        lines = []
        for i, b in enumerate(self.brackets):
            upper = self.brackets[i + 1].threshold if i + 1 < len(self.brackets) else None
            if base <= b.threshold:
                break
            part = (min(base, upper) if upper is not None else base) - b.threshold
            fee = b.amount if b.amount is not None else part * b.rate
            lines.append((b, part, fee))
        return lines


@dataclass
class Parameter:
    name: str
    description: str
    references: list[Reference]
    values: dict | None = None
    brackets: list[dict] | None = None
    unit: str = ""
    source_file: str = ""
    extra: dict = field(default_factory=dict)
    raw: dict = field(default_factory=dict, repr=False)  # the file as written, for export and the database

    def at(self, on: dt.date | str) -> Any:
        on = _as_date(on)
        if self.brackets is not None:
            out = []
            for b in self.brackets:
                ref = b.get("reference")
                out.append(
                    Bracket(
                        threshold=_dec(_at(b["threshold"], on)),
                        rate=_dec(_at(b["rate"], on)) if "rate" in b else None,
                        amount=_dec(_at(b["amount"], on)) if "amount" in b else None,
                        reference=Reference(**ref) if ref else None,
                    )
                )
            return Scale(tuple(out))
        return _dec(_at(self.values, on))

    def all_references(self) -> list[Reference]:
        refs = list(self.references)
        for b in self.brackets or []:
            if b.get("reference"):
                refs.append(Reference(**b["reference"]))
        return refs


def _parse(path: Path, root: Path) -> Parameter:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    name = ".".join(path.relative_to(root).with_suffix("").parts)
    return parameter_from_dict(name, raw, source_file=path.relative_to(root).as_posix())


def _plain(value: Any) -> Any:
    """YAML turns `2007-04-01:` into a date; keep ISO strings so the raw form is JSON-safe."""
    if isinstance(value, dict):
        return {(k.isoformat() if isinstance(k, dt.date) else k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def parameter_from_dict(name: str, raw: dict, source_file: str = "") -> Parameter:
    raw = _plain(raw)
    meta = raw.get("metadata", {}) or {}
    refs = [Reference(**r) for r in meta.get("reference", [])]
    unknown = set(raw) - {"description", "values", "brackets", "metadata"}
    if unknown:
        raise ValueError(f"{name}: unknown keys {sorted(unknown)}")
    if ("values" in raw) == ("brackets" in raw):
        raise ValueError(f"{name}: needs exactly one of values or brackets")
    return Parameter(
        name=name,
        description=raw["description"],
        references=refs,
        values=raw.get("values"),
        brackets=raw.get("brackets"),
        unit=meta.get("unit", ""),
        source_file=source_file,
        extra={k: v for k, v in meta.items() if k not in ("reference", "unit")},
        raw=raw,
    )


class ParameterTree:
    def __init__(self, params: dict[str, Parameter]):
        self._params = params

    def __getitem__(self, name: str) -> Parameter:
        try:
            return self._params[name]
        except KeyError:
            raise KeyError(f"unknown parameter {name}") from None

    def __iter__(self):
        return iter(self._params.values())

    def __len__(self) -> int:
        return len(self._params)

    def value(self, name: str, on: dt.date | str) -> Any:
        return self[name].at(on)


def load_parameters(root: Path = PARAM_DIR) -> ParameterTree:
    return ParameterTree({p.name: p for p in (_parse(f, root) for f in sorted(root.rglob("*.yml")))})


@lru_cache(maxsize=1)
def default_parameters() -> ParameterTree:
    return load_parameters()
