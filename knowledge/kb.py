"""The knowledge base in memory: records from the YAML data files, statutes, parameters and vocabulary.

``KnowledgeBase.from_files()`` parses and schema-checks the data files; ``validate.check()`` then proves every
citation against the statute store.  The database (``knowledge.db``) is loaded from this object, and
``KnowledgeBase.from_db()`` rebuilds the same object from the database for servers in production.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import ValidationError

from knowledge.parameters import ParameterTree, load_parameters
from knowledge.schema import RECORD_TYPES, Citation, Record
from knowledge.statutes import Law, load_statutes

DATA_DIR = Path(__file__).parent / "data"
RECORDS_DIR = DATA_DIR / "records"
VOCAB_DIR = DATA_DIR / "vocab"

R = TypeVar("R", bound=Record)


@dataclass
class Problem:
    where: str  # file (and record id) the problem is in
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class KnowledgeError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class KnowledgeBase:
    records: dict[str, Record]
    origins: dict[str, str]  # record id -> data file it came from
    statutes: dict[str, Law]
    parameters: ParameterTree
    vocab: dict[str, dict[str, list[str]]]  # entity -> canonical value -> surface forms
    synonym_groups: list[list[str]] = field(default_factory=list)  # words users use interchangeably
    region_parents: dict[str, str] = field(default_factory=dict)  # 柳州市 -> 广西 -> 全国
    problems: list[Problem] = field(default_factory=list)  # schema problems found while reading
    fingerprint: str = ""

    # ---------------------------------------------------------------- construction
    @classmethod
    def from_files(cls, data_dir: Path = DATA_DIR, strict: bool = True) -> KnowledgeBase:
        records: dict[str, Record] = {}
        origins: dict[str, str] = {}
        problems: list[Problem] = []
        files = sorted((data_dir / "records").rglob("*.yml"))
        for path in files:
            rel = path.relative_to(data_dir).as_posix()
            for rec, problem in _read_record_file(path, rel):
                if problem:
                    problems.append(problem)
                    continue
                if rec.id in records:
                    problems.append(Problem(f"{rel}#{rec.id}", f"duplicate id (first in {origins[rec.id]})"))
                    continue
                records[rec.id] = rec
                origins[rec.id] = rel
        vocab, groups, parents = _read_vocab(data_dir / "vocab")
        kb = cls(
            records=records,
            origins=origins,
            statutes=load_statutes(),
            parameters=load_parameters(data_dir / "parameters"),
            vocab=vocab,
            synonym_groups=groups,
            region_parents=parents,
            problems=problems,
            fingerprint=fingerprint(data_dir),
        )
        if strict and problems:
            raise KnowledgeError(problems)
        return kb

    # ---------------------------------------------------------------- access
    def of_type(self, cls: type[R]) -> list[R]:
        return [r for r in self.records.values() if isinstance(r, cls)]

    def get(self, record_id: str) -> Record:
        return self.records[record_id]

    def citation_dict(self, c: Citation) -> dict:
        """The machine-readable citation every answer card carries."""
        return self.citation_dict_from(c.law, c.article, c.quote)

    def citation_dict_from(self, law_key: str, article: str, quote: str) -> dict:
        law = self.statutes[law_key]
        out = {"law": law.title, "article": article, "quote": quote, "version": law.version}
        if law.later_version:  # the text here is not the current one: every answer citing it says so
            out["later_version"] = law.later_version
        return out

    @staticmethod
    def version_notes(citations: Iterable[dict]) -> list[str]:
        """One line per cited law whose text here has a later version: what users must be told about it."""
        seen, out = set(), []
        for c in citations:
            note = c.get("later_version")
            if note and c["law"] not in seen:
                seen.add(c["law"])
                out.append(f"版本提示（《{c['law']}》）：{note}")
        return out

    def citations_of(self, ids: Iterable[str], roles: set[str] | None = None,
                     references: Iterable = ()) -> list[dict]:
        """The one citation collector: citations of records (by id), of parameters (``param.<name>``) and of
        parameter references, in answer-card form, each passage once, in order (optionally only some roles)."""
        seen: set[tuple[str, str, str]] = set()
        out: list[dict] = []

        def add(law: str, article: str, quote: str) -> None:
            if (law, article, quote) not in seen:
                seen.add((law, article, quote))
                out.append(self.citation_dict_from(law, article, quote))

        for rid in ids:
            if rid.startswith("param."):
                for r in self.parameters[rid[len("param."):]].all_references():
                    add(r.law, r.article, r.quote)
                continue
            for c in self.records[rid].citations:
                if not roles or c.role in roles:
                    add(c.law, c.article, c.quote)
        for r in references:
            add(r.law, r.article, r.quote)
        return out

    def region_chain(self, region: str) -> list[str]:
        """The region and every region containing it: 长洲区 → 梧州市 → 广西 → 全国."""
        chain, seen = [region], {region}
        while chain[-1] in self.region_parents and self.region_parents[chain[-1]] not in seen:
            chain.append(self.region_parents[chain[-1]])
            seen.add(chain[-1])
        return chain

    @cached_property
    def by_type(self) -> dict[str, list[Record]]:
        out: dict[str, list[Record]] = {}
        for r in self.records.values():
            out.setdefault(r.type, []).append(r)
        return out


def _read_record_file(path: Path, rel: str):
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        yield None, Problem(rel, f"not valid YAML: {e}")
        return
    if not isinstance(raw, dict) or "type" not in raw or "records" not in raw:
        yield None, Problem(rel, "a record file needs top-level `type` and `records`")
        return
    cls = RECORD_TYPES.get(raw["type"])
    if cls is None:
        yield None, Problem(rel, f"unknown record type {raw['type']!r}; known: {sorted(RECORD_TYPES)}")
        return
    defaults = raw.get("defaults") or {}
    for i, item in enumerate(raw["records"] or []):
        rid = item.get("id", f"[{i}]") if isinstance(item, dict) else f"[{i}]"
        if not isinstance(item, dict):
            yield None, Problem(f"{rel}#{rid}", "record is not a mapping")
            continue
        try:
            yield cls(**{**defaults, **item}), None
        except ValidationError as e:
            msgs = "; ".join(f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors())
            yield None, Problem(f"{rel}#{rid}", msgs)


def _read_vocab(vocab_dir: Path):
    vocab: dict[str, dict[str, list[str]]] = {}
    groups: list[list[str]] = []
    parents: dict[str, str] = {}
    for path in sorted(vocab_dir.glob("*.yml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        parents.update({str(k): str(v) for k, v in (raw.get("parents") or {}).items()})
        groups.extend([str(w) for w in g] for g in raw.get("groups") or [])
        for entity, values in (raw.get("entities") or {}).items():
            slot = vocab.setdefault(entity, {})
            for canonical, forms in values.items():
                slot.setdefault(str(canonical), []).extend(str(f) for f in (forms or []))
    return vocab, groups, parents


def fingerprint(data_dir: Path = DATA_DIR) -> str:
    """Hash of every data file: the loader skips a reload, and training is skipped, when it is unchanged."""
    h = hashlib.sha256()
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        h.update(path.relative_to(data_dir).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]
