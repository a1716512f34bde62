"""The statute store: verbatim official texts, parsed into articles.

The texts under ``data/statutes/texts/`` are byte-for-byte copies of ``../shared/laws`` (the project's only
allowed source of statute quotes); ``manifest.yml`` records each file's source path, sha256 and version so a
test can prove the copies were not edited.  Nothing here paraphrases: an article's text is exactly the lines
of the official file between its label and the next label or heading.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

DATA_DIR = Path(__file__).parent / "data" / "statutes"
TEXTS_DIR = DATA_DIR / "texts"
MANIFEST = DATA_DIR / "manifest.yml"

# 第三十三条 / 第二百七十六条之一 followed by a (full- or half-width) space.
ARTICLE_RE = re.compile(r"^(第[零一二三四五六七八九十百千]+条(?:之[一二三四五六七八九十]+)?)[ \u3000]")
HEADER_END = "<!-- INFO END -->"
# Some official files carry lines holding only a zero-width space: layout debris, not text.
ZERO_WIDTH = " \t\u3000\u200b\ufeff"
DATE_IN_NAME = re.compile(r"\((\d{4}-\d{2}-\d{2})\)")
CN_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")


@dataclass
class Law:
    key: str  # short name used in data files, e.g. 行政处罚法
    title: str  # official title, e.g. 中华人民共和国行政处罚法
    version: str  # date of the text's latest promulgation/revision, YYYY-MM-DD
    version_note: str  # the header line that date comes from
    source: str  # path inside ../shared/laws
    sha256: str
    caveat: str = ""  # maintainers' note on the text (numbering it cites, which copy was taken ...)
    # Plain words for users, shown on every answer that cites this law: a later version exists whose text is not
    # available here, and what it changed (not quoted). Empty when the vendored text is the current one.
    later_version: str = ""
    articles: dict[str, str] = field(default_factory=dict)

    def article(self, label: str) -> str | None:
        return self.articles.get(label)


def parse_articles(text: str) -> dict[str, str]:
    """Split an official text into {label: article text}; paragraphs joined by newlines."""
    body = text.split(HEADER_END, 1)[-1]
    articles: dict[str, list[str]] = {}
    current: str | None = None
    for raw in body.splitlines():
        line = raw.rstrip()
        if line.startswith("#"):
            current = None
            continue
        m = ARTICLE_RE.match(line)
        if m:
            current = m.group(1)
            if current in articles:  # a repeated label would make quotes ambiguous
                raise ValueError(f"duplicate article label {current}")
            articles[current] = [line[m.end():].strip()]
        elif current and line.strip(ZERO_WIDTH):
            articles[current].append(line.strip())
    return {label: "\n".join(parts) for label, parts in articles.items()}


def parse_header(text: str, filename: str) -> tuple[str, str, str]:
    """Return (title, version date, version note) from the compilation's header."""
    head = text.split(HEADER_END, 1)[0]
    lines = [ln.strip() for ln in head.splitlines() if ln.strip()]
    title = lines[0].lstrip("# ").strip()
    notes = lines[1:]
    m = DATE_IN_NAME.search(filename)
    if m:
        date = m.group(1)
        note = next((n for n in reversed(notes) if _cn_date(n) == date), notes[-1] if notes else "")
        return title, date, note
    dated = [(n, _cn_date(n)) for n in notes if _cn_date(n)]
    if not dated:
        raise ValueError(f"{filename}: no version date in name or header")
    note, date = dated[-1]
    return title, date, note


def _cn_date(line: str) -> str | None:
    m = CN_DATE.search(line)
    if not m:
        return None
    y, mo, d = m.groups()
    return f"{int(y):04d}-{int(mo):02d}-{int(d):02d}"


def law_key(path: Path) -> str:
    return DATE_IN_NAME.sub("", path.stem)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@lru_cache(maxsize=1)
def load_statutes() -> dict[str, Law]:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    laws: dict[str, Law] = {}
    for entry in manifest["laws"]:
        path = TEXTS_DIR / entry["source"]
        text = path.read_text(encoding="utf-8")
        law = Law(
            key=entry["key"],
            title=entry["title"],
            version=entry["version"],
            version_note=entry["version_note"],
            source=entry["source"],
            sha256=entry["sha256"],
            caveat=entry.get("caveat", ""),
            later_version=entry.get("later_version", ""),
            articles=parse_articles(text),
        )
        laws[law.key] = law
    return laws


def vendor(shared_laws: Path, caveats: dict[str, str] | None = None) -> list[dict]:
    """Copy every official text from ``shared_laws`` and rewrite the manifest (maintainer tool)."""
    caveats = caveats or {}
    old = {}
    if MANIFEST.exists():
        old = {e["key"]: e for e in yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))["laws"]}
    entries = []
    for src in sorted(shared_laws.rglob("*.md")):
        if src.name == "SOURCES.md":
            continue
        rel = src.relative_to(shared_laws).as_posix()
        dest = TEXTS_DIR / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(src.read_bytes())
        text = src.read_text(encoding="utf-8")
        title, date, note = parse_header(text, src.name)
        key = law_key(src)
        entries.append(
            {
                "key": key,
                "title": title,
                "version": date,
                "version_note": note,
                "source": rel,
                "sha256": sha256(src),
                "caveat": caveats.get(key, old.get(key, {}).get("caveat", "")),
            }
        )
        if old.get(key, {}).get("later_version"):
            entries[-1]["later_version"] = old[key]["later_version"]
    (TEXTS_DIR / "SOURCES.md").write_bytes((shared_laws / "SOURCES.md").read_bytes())
    MANIFEST.write_text(
        "# Generated by `python -m knowledge vendor-laws`; only `caveat` and `later_version` are edited by hand.\n"
        + yaml.safe_dump({"laws": entries}, allow_unicode=True, sort_keys=False, width=120),
        encoding="utf-8",
    )
    load_statutes.cache_clear()
    return entries
