"""One Settings for every environment variable: no module reads the environment behind its back, and README's
variable table lists exactly the variables the code reads (Settings, and Rasa through bot/endpoints*.yml)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from hegui.settings import READ_BY_RASA, Settings

ROOT = Path(__file__).resolve().parents[1]
CODE_DIRS = ("bot", "actions", "hegui", "knowledge")  # the product; bench and tests pass the environment on
SETTINGS_MODULE = ROOT / "hegui" / "settings.py"
# knowledge/ knows nothing of deployment (nor of hegui.settings): its own CLI may fall back on a variable, by its
# literal name, when Settings declares the same variable (the servers pass the typed value in)
KNOWLEDGE = "knowledge/"


def environment_reads(path: Path) -> list[tuple[int, str | None]]:
    """(line, variable or None when not a literal) of each os.environ / os.getenv use in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        target = None
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv") and \
                isinstance(node.value, ast.Name) and node.value.id == "os":
            target = node
        if target is None:
            continue
        found.append((node.lineno, None))
    for node in ast.walk(tree):  # the literal names, where there are any
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) and \
                isinstance(node.func, ast.Attribute) and node.func.attr in ("get", "getenv"):
            found = [(line, node.args[0].value if line == node.lineno else name) for line, name in found]
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            found = [(line, node.slice.value if line == node.lineno else name) for line, name in found]
    return found


def readme_table_variables() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Production topology", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        for cell in re.findall(r"`([A-Z][A-Z0-9_/]*)`", line.split("|")[1]):
            head, *tails = cell.split("/")
            names.add(head)
            prefix = head.rsplit("_", 1)[0] + "_"  # TRACKER_DB_HOST/PORT → TRACKER_DB_PORT
            names.update(prefix + tail for tail in tails)
    return names


def variables_read_by_rasa() -> set[str]:
    names = set(READ_BY_RASA)
    for path in (ROOT / "bot").glob("endpoints*.yml"):
        names |= set(re.findall(r"\$\{(\w+)\}", path.read_text(encoding="utf-8")))
    return names


def test_no_module_reads_the_environment_outside_settings():
    offenders = []
    for top in CODE_DIRS:
        for path in (ROOT / top).rglob("*.py"):
            if path == SETTINGS_MODULE:
                continue
            rel = path.relative_to(ROOT).as_posix()
            for line, name in environment_reads(path):
                if not (rel.startswith(KNOWLEDGE) and name in Settings.environment_variables()):
                    offenders.append(f"{rel}:{line} {name or '(computed name)'}")
    assert offenders == [], "read these through hegui.settings.Settings instead:\n" + "\n".join(offenders)


def test_the_environment_reader_finds_what_it_looks_for(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text('import os\nA = os.environ.get("ALPHA")\nB = os.getenv("BETA", "1")\nC = os.environ["GAMMA"]\n')
    assert sorted(name for _, name in environment_reads(probe)) == ["ALPHA", "BETA", "GAMMA"]


def test_every_setting_names_its_variable_explicitly():
    for name, field in Settings.__fields__.items():
        env = field.field_info.extra.get("env")
        assert env, f"Settings.{name} has no env=: pydantic would read a variable called {name!r}"
        for variable in [env] if isinstance(env, str) else env:
            assert re.fullmatch(r"[A-Z][A-Z0-9_]+", variable), variable


def test_readme_table_lists_exactly_the_variables_the_code_reads():
    code = Settings.environment_variables() | variables_read_by_rasa()
    table = readme_table_variables()
    assert not code - table, f"read by the code, missing from README's table: {sorted(code - table)}"
    assert not table - code, f"in README's table, read by nothing: {sorted(table - code)}"


@pytest.mark.parametrize("variable, value, field, expected", [
    ("WECHAT_REPLY_TIMEOUT", "2.5", "wechat_reply_timeout", 2.5),
    ("REGISTRATION_LINK_TTL_DAYS", "7", "registration_link_ttl_days", 7),
    ("REGISTRATION_QR_REQUIRE_SIGNATURE", "0", "registration_qr_require_signature", False),
    ("KB_REFRESH_SECONDS", "5", "kb_refresh_seconds", 5.0),
    ("HEGUI_KB_SOURCE", "files", "kb_source", "files"),
    ("TRACKER_STORE_RETRY_SECONDS", "3", "tracker_store_retry_seconds", 3.0),
    ("RASA_URLS", "http://a:5005/, http://b:5005", "rasa_urls", ["http://a:5005", "http://b:5005"]),
    ("TRUSTED_PROXIES", "10.0.0.0/8,127.0.0.1", "trusted_proxies", ["10.0.0.0/8", "127.0.0.1/32"]),
])
def test_each_variable_reaches_its_typed_setting(monkeypatch, variable, value, field, expected):
    monkeypatch.setenv(variable, value)
    assert getattr(Settings(), field) == expected


@pytest.mark.parametrize("variable, value", [("WEB_PORT", "eighty"), ("HEGUI_KB_SOURCE", "web"),
                                             ("TRUSTED_PROXIES", "not-an-ip"), ("RATE_LIMIT_PER_MINUTE", "0")])
def test_a_wrong_value_fails_at_start_with_its_name(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError):
        Settings()


def test_the_per_address_limit_defaults_to_at_least_600_a_minute(monkeypatch):
    for name in ("RATE_LIMIT_PER_MINUTE", "RATE_LIMIT_PER_ADDRESS_PER_MINUTE"):
        monkeypatch.delenv(name, raising=False)
    assert Settings().rate_limit_per_address_per_minute >= 600
    monkeypatch.setenv("RATE_LIMIT_PER_ADDRESS_PER_MINUTE", "50")
    assert Settings().rate_limit_per_address_per_minute == 50
