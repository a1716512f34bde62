"""Bulk import of registrants from a CSV file, through the running web front's ``POST /api/registrations``.

    python -m bot.web.registrations_cli import registrants.csv \\
        [--url http://127.0.0.1:8080] [--secret $REGISTRATION_HMAC_SECRET] [--rejects rejects.csv]
    python -m bot.web.registrations_cli preview registrants.csv [--checklist] [--limit 5]

``preview`` prints, without sending anything, what each row's registrant would receive: the same composition
(``knowledge.onboarding``) the front delivers, read from the local knowledge files.

Each row is signed and sent exactly as the registration system would send it, so the import goes through the
same checks (credit-code check digit, field limits), is idempotent (a credit code already registered is
counted as “已存在” and gets no second delivery) and delivers the same prompts into each conversation.  The front
must be running with the same ``REGISTRATION_HMAC_SECRET``; ``--secret`` defaults to that environment variable
and ``--url`` to ``PUBLIC_URL`` or http://127.0.0.1:8080.

The CSV needs a header row.  Columns (English or Chinese names): company_name/企业名称, credit_code/统一社会信用代码,
industry/行业, region/地区, contact/联系方式 (optional), registered_on/成立日期 (optional, YYYY-MM-DD: it sets
the year of the first annual report; without it the day of the import counts).  UTF-8 (with or without BOM) or
GBK, as Excel saves it.

A progress bar goes to stderr; the summary and every rejected row (line number and reason) go to stdout;
``--rejects`` also writes them, with the original columns, to a CSV for correction.  Exit status: 0 all rows
accepted, 1 some rejected, 2 the file or the options are unusable.
"""
from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from tqdm import tqdm

from bot.web import credit_code as cc
from bot.web.config import Settings
from bot.web.privacy import mask
from bot.web.registrations import compose_prompts, match_industries, registration_date, sign_request

FIELDS = ("company_name", "credit_code", "industry", "region", "contact", "registered_on")
REQUIRED = ("company_name", "credit_code", "industry", "region")
HEADER_ALIASES = {
    "company_name": ("company_name", "企业名称", "公司名称", "名称", "主体名称", "单位名称"),
    "credit_code": ("credit_code", "统一社会信用代码", "信用代码", "社会信用代码"),
    "industry": ("industry", "行业", "所属行业", "经营行业"),
    "region": ("region", "地区", "所在地区", "区域", "所在地"),
    "contact": ("contact", "联系方式", "联系电话", "联系人", "电话"),
    "registered_on": ("registered_on", "成立日期", "登记日期", "设立日期", "成立时间"),
}
LABELS = {"company_name": "企业名称", "credit_code": "统一社会信用代码", "industry": "行业", "region": "地区",
          "contact": "联系方式", "registered_on": "成立日期"}


class CliError(Exception):
    pass


@dataclass
class Row:
    line: int  # line of the file where the record starts (the header is line 1)
    values: dict[str, str]
    raw: list[str]


@dataclass
class ImportResult:
    created: int = 0
    existing: int = 0
    rejected: list[tuple[Row, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.existing + len(self.rejected)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CliError("无法识别文件编码：请另存为 UTF-8 或 GBK 编码的 CSV")


def read_csv(path: Path) -> tuple[list[str], list[Row]]:
    try:
        text = _decode(path.read_bytes())
    except OSError as e:
        raise CliError(f"无法读取文件：{e.strerror or e}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise CliError("文件是空的：第一行应为列名") from None
    except csv.Error as e:
        raise CliError(f"CSV 格式错误：{e}") from None
    columns: dict[str, int] = {}
    for i, name in enumerate(header):
        key = name.strip().lower()
        for field_name, aliases in HEADER_ALIASES.items():
            if key in aliases and field_name not in columns:
                columns[field_name] = i
    missing = [f"{f}（{LABELS[f]}）" for f in REQUIRED if f not in columns]
    if missing:
        raise CliError("缺少列：" + "、".join(missing) + "；第一行应为列名")
    rows: list[Row] = []
    start = reader.line_num + 1
    try:
        for record in reader:
            if any(cell.strip() for cell in record):
                values = {f: (record[i].strip() if i < len(record) else "") for f, i in columns.items()}
                rows.append(Row(line=start, values=values, raw=record))
            start = reader.line_num + 1
    except csv.Error as e:
        raise CliError(f"CSV 格式错误（第{start}行）：{e}") from None
    return header, rows


def signed_headers(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    timestamp = str(int(now or time.time()))
    return {"Content-Type": "application/json", "X-Signature": sign_request(secret, timestamp, body),
            "X-Timestamp": timestamp}


def local_problem(row: Row) -> str | None:
    """Problems found without asking the server (saves a round trip; the server checks again)."""
    for f in REQUIRED:
        if not row.values.get(f):
            return f"{f}（{LABELS[f]}）为空"
    try:
        cc.validate(row.values["credit_code"])
    except cc.InvalidCreditCode as e:
        return f"credit_code（统一社会信用代码）：{e}"
    try:
        registration_date(row.values.get("registered_on"))
    except ValueError as e:
        return f"registered_on（成立日期）：{e}"
    return None


async def _post(session: aiohttp.ClientSession, url: str, secret: str, row: Row) -> tuple[str, str]:
    body = json.dumps({f: row.values.get(f, "") for f in FIELDS}, ensure_ascii=False).encode()
    try:
        async with session.post(f"{url}/api/registrations", data=body, headers=signed_headers(secret, body)) as resp:
            try:
                answer = await resp.json(content_type=None)
            except (json.JSONDecodeError, aiohttp.ContentTypeError, UnicodeDecodeError):
                answer = {}
            if resp.status == 201:
                return "created", ""
            if resp.status == 200:
                return "existing", ""
            message = answer.get("error") if isinstance(answer, dict) else None
            errors = answer.get("errors") if isinstance(answer, dict) else None
            if isinstance(errors, dict) and len(errors) > 1:
                message = "；".join(str(v) for v in errors.values())
            retry = "（可重试）" if resp.status >= 500 or resp.status == 429 else ""
            return "rejected", f"HTTP {resp.status}：{message or resp.reason}{retry}"
    except (aiohttp.ClientError, asyncio.TimeoutError) as e:
        return "rejected", f"无法连接 {url}：{type(e).__name__}（可重试）"


async def import_rows(rows: list[Row], url: str, secret: str, progress: bool = True,
                      timeout: float = 60.0) -> ImportResult:
    result = ImportResult()
    url = url.rstrip("/")
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        with tqdm(total=len(rows), unit="行", desc="导入", disable=not progress, file=sys.stderr) as bar:
            for row in rows:
                problem = local_problem(row)
                outcome, reason = ("rejected", problem) if problem else await _post(session, url, secret, row)
                if outcome == "created":
                    result.created += 1
                elif outcome == "existing":
                    result.existing += 1
                else:
                    result.rejected.append((row, reason))
                bar.update(1)
    return result


def write_rejects(path: Path, header: list[str], rejected: list[tuple[Row, str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["line", "reason", *header])
        for row, reason in rejected:
            w.writerow([row.line, reason, *row.raw])


def report(result: ImportResult, out=None) -> None:
    out = out or sys.stdout
    print(f"共 {result.total} 行：新登记 {result.created}，已存在 {result.existing}，拒绝 {len(result.rejected)}", file=out)
    for row, reason in result.rejected:
        print(f"第{row.line}行：{mask(reason)}", file=out)


def preview(rows: list[Row], checklist: bool = False, limit: int | None = None, out=None) -> int:
    """Print what each row's registrant would receive (the same composition the front delivers); 1 if a row is
    unusable, else 0."""
    from knowledge.kb import KnowledgeBase

    out = out or sys.stdout
    kb = KnowledgeBase.from_files()
    bad = 0
    for row in rows[:limit] if limit else rows:
        problem = local_problem(row)
        if problem:
            bad += 1
            print(f"第{row.line}行：{mask(problem)}\n", file=out)
            continue
        v = row.values
        industries = match_industries(kb, v["industry"])
        prompts = compose_prompts(kb, v["company_name"], v["industry"], industries, cc.validate(v["credit_code"]),
                                  registered_on=registration_date(v.get("registered_on")))
        print(f"—— 第{row.line}行（{len(prompts[0]['text'])}字）", file=out)
        for p in prompts[: 2 if checklist else 1]:
            print(p["text"], file=out)
            print("按钮：" + "｜".join(b["title"] for b in p["buttons"]), file=out)
        print(file=out)
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.web.registrations_cli",
                                     description="从 CSV 批量导入新登记经营主体（通过运行中的前端登记接口）")
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="导入 CSV 文件")
    imp.add_argument("file", type=Path)
    settings = Settings()
    imp.add_argument("--url", default=settings.public_url, help="前端地址（默认 PUBLIC_URL 或 http://127.0.0.1:8080）")
    imp.add_argument("--secret", default=settings.registration_secret,
                     help="登记接口的 HMAC 密钥（默认 REGISTRATION_HMAC_SECRET）")
    imp.add_argument("--rejects", type=Path, help="把被拒绝的行写入这个 CSV 文件")
    imp.add_argument("--no-progress", action="store_true", help="不显示进度条")
    pre = sub.add_parser("preview", help="不发送，只显示每行会收到的开业提醒")
    pre.add_argument("file", type=Path)
    pre.add_argument("--checklist", action="store_true", help="同时显示开业30天清单")
    pre.add_argument("--limit", type=int, help="只显示前几行")
    args = parser.parse_args(argv)
    if args.command == "preview":
        try:
            _, rows = read_csv(args.file)
        except CliError as e:
            print(f"错误：{e}", file=sys.stderr)
            return 2
        return preview(rows, checklist=args.checklist, limit=args.limit)
    if not args.secret:
        print("错误：需要 --secret 或环境变量 REGISTRATION_HMAC_SECRET", file=sys.stderr)
        return 2
    try:
        header, rows = read_csv(args.file)
    except CliError as e:
        print(f"错误：{e}", file=sys.stderr)
        return 2
    result = asyncio.run(import_rows(rows, args.url, args.secret, progress=not args.no_progress))
    report(result)
    if args.rejects:
        write_rejects(args.rejects, header, result.rejected)
        print(f"被拒绝的行已写入 {args.rejects}")
    return 1 if result.rejected else 0


if __name__ == "__main__":
    sys.exit(main())
