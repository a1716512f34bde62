"""Staff accounts from the command line.

    python -m bot.web.staff create-user <username> --name 名字 [--admin] [--password-stdin]
    python -m bot.web.staff set-password <username> [--password-stdin]
    python -m bot.web.staff unlock <username>
    python -m bot.web.staff disable <username>
    python -m bot.web.staff list

The password is asked for twice on the terminal, or read from the first line of standard input with
``--password-stdin`` (for scripts: ``printf '%s\\n' "$PW" | python -m bot.web.staff create-user ...``).
The database is the front's (WEB_DATABASE_URL / DATABASE_URL, else var/web.db), or ``--database-url``.
"""
from __future__ import annotations

import argparse
import getpass
import sys

from sqlalchemy import or_, select

from bot.web.config import Settings
from bot.web.db import Database, LoginFailure, StaffSession, StaffUser, utcnow
from bot.web.staff.auth import USERNAME_RE, hash_password

MIN_PASSWORD = 10


class CliError(Exception):
    pass


def _password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("密码：")
        if getpass.getpass("再输一次：") != password:
            raise CliError("两次输入的密码不一致")
    if len(password) < MIN_PASSWORD:
        raise CliError(f"密码至少 {MIN_PASSWORD} 个字符")
    if len(password) > 1024:
        raise CliError("密码过长")
    return password


def _user(s, username: str) -> StaffUser:
    user = s.execute(select(StaffUser).where(StaffUser.username == username)).scalar_one_or_none()
    if user is None:
        raise CliError(f"没有用户 {username}")
    return user


def _account_failures(s, username: str):
    return s.query(LoginFailure).filter(or_(
        (LoginFailure.scope == "account") & (LoginFailure.key == username),
        (LoginFailure.scope == "pair") & LoginFailure.key.startswith(username + "|", autoescape=True)))


def _unlock(s, username: str) -> None:
    """Clear the account's lock-outs (from every address); an address locked for guessing stays locked."""
    _account_failures(s, username).delete(synchronize_session=False)


def _locked(s, username: str) -> bool:
    now = utcnow()
    return any(f.locked_until is not None and f.locked_until > now for f in _account_failures(s, username))


def _end_sessions(s, user_id: int) -> int:
    return s.query(StaffSession).filter(StaffSession.user_id == user_id, StaffSession.revoked_at.is_(None)).update(
        {StaffSession.revoked_at: utcnow()}, synchronize_session=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.web.staff", description="合规通员工账号管理")
    parser.add_argument("--database-url", help="默认取 WEB_DATABASE_URL / DATABASE_URL，否则 var/web.db")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create-user", help="新建员工账号")
    create.add_argument("username")
    create.add_argument("--name", required=True, help="显示名（用户会看到：人工客服 · 名字）")
    create.add_argument("--admin", action="store_true", help="管理员")
    create.add_argument("--password-stdin", action="store_true", help="从标准输入第一行读取密码")
    pw = sub.add_parser("set-password", help="重设密码（同时解锁）")
    pw.add_argument("username")
    pw.add_argument("--password-stdin", action="store_true")
    unlock = sub.add_parser("unlock", help="解除登录锁定")
    unlock.add_argument("username")
    disable = sub.add_parser("disable", help="停用账号（已登录的会话随即失效）")
    disable.add_argument("username")
    sub.add_parser("list", help="列出账号")
    args = parser.parse_args(argv)

    db = Database(args.database_url or Settings().database_url)
    try:
        with db.session() as s, s.begin():
            if args.command == "create-user":
                if not USERNAME_RE.match(args.username):
                    raise CliError("用户名须为 2–64 位字母、数字或 _.@- 字符")
                name = args.name.strip()
                if not name or len(name) > 64:
                    raise CliError("显示名须为 1–64 个字符")
                if s.execute(select(StaffUser).where(StaffUser.username == args.username)).scalar_one_or_none():
                    raise CliError(f"用户 {args.username} 已存在（重设密码用 set-password）")
                s.add(StaffUser(username=args.username, display_name=name,
                                password_hash=hash_password(_password(args.password_stdin)),
                                role="admin" if args.admin else "agent"))
                print(f"已创建{'管理员' if args.admin else '员工'}账号 {args.username}（{name}）")
            elif args.command == "set-password":
                user = _user(s, args.username)
                user.password_hash = hash_password(_password(args.password_stdin))
                user.active = True
                _unlock(s, user.username)
                ended = _end_sessions(s, user.id)
                print(f"已重设 {args.username} 的密码" + (f"，已结束其 {ended} 个登录会话" if ended else ""))
            elif args.command == "unlock":
                user = _user(s, args.username)
                _unlock(s, user.username)
                print(f"已解锁 {args.username}")
            elif args.command == "disable":
                user = _user(s, args.username)
                user.active = False
                _end_sessions(s, user.id)
                print(f"已停用 {args.username}")
            else:
                for u in s.execute(select(StaffUser).order_by(StaffUser.username)).scalars():
                    locked = _locked(s, u.username)
                    state = "停用" if not u.active else ("锁定" if locked else "正常")
                    print(f"{u.username}\t{u.display_name}\t{u.role}\t{state}")
    except CliError as e:
        print(f"错误：{e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
