"""The `hongxia` command.

    hongxia demo [--scale small|city|province] [--data-dir DIR] [--host H] [--port P]
    hongxia serve [--host H] [--port P] [--workers N]
    hongxia seed --scale S [--seed N] [--force]
    hongxia user create USERNAME --role ROLE --region CODE [--full-name X] [--sensitive]
    hongxia user token USERNAME
    hongxia check
    hongxia regions load FILE.csv
    hongxia manage COMMAND ...        (any Django management command)

Django is set up lazily, after `--data-dir` has been put into HONGXIA_DATA_DIR, because the
settings read the data directory when they are imported.
"""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import socket
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROLES = ("city_admin", "county_clerk", "leader", "branch_secretary", "retiree")
SCALES = ("small", "city", "province")

# username, role, region, full name, may see ID numbers and phones unmasked
DEMO_ACCOUNTS: list[tuple[str, str, str, str, bool]] = [
    ("admin", "city_admin", "431200", "市局管理员", True),
    ("clerk_hecheng", "county_clerk", "431202", "鹤城区经办人", False),
    ("clerk_yuanling", "county_clerk", "431222", "沅陵县经办人", False),
    ("leader", "leader", "431200", "局领导", False),
]
RETIREE_ACCOUNT = "retiree"


class CliError(Exception):
    """A problem to report to the user in one message, exit status 1."""


def _say(text: str = "") -> None:
    print(text, flush=True)


def _err(text: str) -> None:
    print(f"错误 (error): {text}", file=sys.stderr, flush=True)


def _setup(data_dir: str | None = None) -> Path:
    """Point the settings at the data directory, create it, and set Django up."""
    from django.apps import apps

    if apps.ready:  # already set up (tests, or called from Django itself)
        from django.conf import settings

        return Path(settings.DATA_DIR)
    if data_dir:
        os.environ["HONGXIA_DATA_DIR"] = str(Path(data_dir).expanduser().resolve())
    path = Path(os.environ.get("HONGXIA_DATA_DIR", "var")).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hongxia.settings")
    import django

    django.setup()
    from django.conf import settings

    return Path(getattr(settings, "DATA_DIR", path))


def _cli_actor() -> Any:
    from hongxia.core import context

    return context.acting_as(None, via="cli")


def _migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    if not _pending_migrations():
        return
    started = time.monotonic()
    _say("正在准备数据库 (applying database migrations)…")
    call_command("migrate", interactive=False, verbosity=verbosity)
    _say(f"数据库已就绪 (database ready), {time.monotonic() - started:.1f} s")


def _pending_migrations() -> list[str]:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


# --- demo and serve --------------------------------------------------------------------------


def _port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host.strip("[]"), port))
        except OSError:
            return False
    return True


def _serve(host: str, port: int, workers: int, access_log: bool = False) -> int:
    """Run gunicorn in this process: sync workers (fastest for CPU-bound views on few cores)."""
    from django.core.wsgi import get_wsgi_application
    from django.db import connections
    from gunicorn.app.base import BaseApplication

    if not _port_free(host, port):
        raise CliError(f"端口 {port} 已被占用，请用 --port 换一个 (port {port} is in use)")
    application = get_wsgi_application()
    from hongxia.core import dbstats

    if dbstats.never_analyzed():  # data copied in, or loaded by an older version
        dbstats.analyze()
    connections.close_all()  # never share a database connection across the fork

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            options = {
                "bind": f"{host}:{port}",
                "workers": workers,
                "worker_class": "sync",
                "timeout": 120,
                "graceful_timeout": 10,
                "preload_app": True,
                "accesslog": "-" if access_log else None,
                "proc_name": "hongxia",
                # gunicorn >= 25.1 opens a control socket in $HOME: one per machine, and a
                # second demo would clash with the first. Not needed here.
                "control_socket_disable": True,
            }
            for key, value in options.items():
                if key in self.cfg.settings:  # older gunicorn lacks some settings
                    self.cfg.set(key, value)

        def load(self) -> Any:
            return application

    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "[::]") else host  # noqa: S104
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    _say("")
    _say(f"打开 http://{shown}:{port}/ 即可使用 (open this address in a browser)")
    _say("按 Ctrl+C 停止 (press Ctrl+C to stop)")
    _say("")
    Server().run()
    return 0


def _demo_accounts(data_dir: Path) -> list[tuple[str, str, str, str]]:
    """Create the demo accounts, or give the existing ones new passwords."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Permission
    from django.db import transaction

    from hongxia.core import audit
    from hongxia.core.models import AuditLog, Region, User
    from hongxia.people.models import Person

    wanted: list[tuple[str, str, str, str, bool, Person | None]] = [
        (*row, None) for row in DEMO_ACCOUNTS
    ]
    linked = Person.objects.filter(account__username=RETIREE_ACCOUNT).first()
    person = linked or (
        Person.objects.filter(
            category="tuixiu", life_status="alive", account__isnull=True, lives_elsewhere=False
        )
        .exclude(phone="")
        .order_by("id")
        .first()
    )
    if person is not None:
        wanted.append((RETIREE_ACCOUNT, "retiree", person.region_id, person.name, False, person))
    passwords = [secrets.token_urlsafe(9) for _row in wanted]
    with ThreadPoolExecutor(max_workers=2) as pool:  # PBKDF2 releases the GIL
        hashes = list(pool.map(make_password, passwords))
    sensitive = Permission.objects.get(codename="view_sensitive", content_type__app_label="people")
    names = dict(Region.objects.filter(code__in=[r[2] for r in wanted]).values_list("code", "name"))
    table = []
    with transaction.atomic(), _cli_actor():
        for (username, role, region, full_name, see_all, linked_person), password, hashed in zip(
            wanted, passwords, hashes, strict=True
        ):
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User.objects.create(
                    username=username,
                    role=role,
                    region_id=region,
                    full_name=full_name,
                    password=hashed,
                )
                audit.record_change(
                    user,
                    AuditLog.Action.CREATE,
                    after={"username": username, "role": role, "region": region},
                    note="demo account",
                )
            else:
                user.password = hashed
                user.failed_logins = 0
                user.locked_until = None
                user.is_active = True
                user.save(update_fields=["password", "failed_logins", "locked_until", "is_active"])
                audit.record_change(
                    user,
                    AuditLog.Action.UPDATE,
                    before={"password": "old"},
                    after={"password": "new"},
                    note="demo account: new password",
                )
            if see_all:
                user.user_permissions.add(sensitive)
            if linked_person is not None and linked_person.account_id != user.pk:
                Person.objects.filter(pk=linked_person.pk).update(account=user)
            label = dict(_role_labels()).get(role, role)
            table.append((username, password, label, names.get(region, region)))
    lines = [f"{'账号 (user)':<16}{'密码 (password)':<18}角色 (role) / 区划 (region)"]
    lines += [f"{u:<16}{p:<18}{role} / {region}" for u, p, role, region in table]
    path = data_dir / "demo-accounts.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return table


def _role_labels() -> list[tuple[str, str]]:
    return [
        ("city_admin", "市局管理员"),
        ("county_clerk", "县市区经办人"),
        ("leader", "领导（只读）"),
        ("retiree", "离退休干部本人"),
    ]


# Apps that add synthetic data of their own once the registry is seeded (`seed_app`).
SEEDED_APPS = ("party", "care")


def _seed_everything(
    *, scale: str, seed_value: int, progress: bool, force: bool = False
) -> dict[str, Any]:
    """The registry first, then each app's own data over it, with a line per step."""
    from importlib import import_module

    from django.utils import timezone

    from hongxia.people.seed import seed

    result = seed(scale=scale, seed=seed_value, progress=progress, stdout=sys.stdout, force=force)
    if result.get("skipped"):
        return result
    today = timezone.localdate()
    for app in SEEDED_APPS:
        started = time.monotonic()
        if progress:
            _say(f"正在生成 {app} 演示数据 (seeding {app}) …")
        counts = import_module(f"hongxia.{app}.seed").seed_app(
            scale=scale, seed=seed_value, today=today, progress=_say if progress else None
        )
        result[app] = counts
        if progress:
            _say(f"  {app}: {time.monotonic() - started:.1f} s")
    return result


def cmd_demo(args: argparse.Namespace) -> int:
    started = time.monotonic()
    data_dir = _setup(getattr(args, "data_dir", None))
    _say(f"红霞 Hongxia 演示 (demo) — 数据目录 (data directory): {data_dir}")
    _migrate()
    from hongxia.people.models import Person

    if not Person.objects.exists():
        _say(f"正在生成演示数据 (generating synthetic people), 规模 (scale): {args.scale}")
        with _cli_actor():
            _seed_everything(scale=args.scale, seed_value=args.seed, progress=True)
    else:
        _say(f"登记库已有 {Person.objects.count()} 人，不再生成演示数据 (registry not empty)")
    table = _demo_accounts(data_dir)
    _say("")
    _say("演示账号（每次启动都会重设密码） (demo accounts; passwords are reset at every start):")
    _say(f"  {'账号 (user)':<16}{'密码 (password)':<18}角色 (role) / 区划 (region)")
    for username, password, role, region in table:
        _say(f"  {username:<16}{password:<18}{role} / {region}")
    _say(f"已写入 (written to) {data_dir / 'demo-accounts.txt'}")
    _say(f"准备用时 (ready in) {time.monotonic() - started:.1f} s")
    return _serve(args.host, args.port, args.workers, args.access_log)


def cmd_serve(args: argparse.Namespace) -> int:
    _setup(getattr(args, "data_dir", None))
    pending = _pending_migrations()
    if pending:
        raise CliError(
            f"数据库有 {len(pending)} 个未执行的迁移，请先运行 hongxia manage migrate "
            f"(pending migrations: {', '.join(pending[:5])}{' …' if len(pending) > 5 else ''})"
        )
    return _serve(args.host, args.port, args.workers, args.access_log)


# --- seed, users, regions, check -------------------------------------------------------------


def cmd_seed(args: argparse.Namespace) -> int:
    _setup(getattr(args, "data_dir", None))
    _migrate()
    from hongxia.people.seed import SeedRefused

    with _cli_actor():
        try:
            result = _seed_everything(
                scale=args.scale, seed_value=args.seed, progress=not args.quiet, force=args.force
            )
        except SeedRefused as exc:
            raise CliError(str(exc)) from exc
    return 1 if result.get("skipped") else 0


def _read_password(username: str, full_name: str) -> str:
    from django.contrib.auth import password_validation
    from django.core.exceptions import ValidationError

    from hongxia.core.models import User

    password = os.environ.get("HONGXIA_PASSWORD")
    if password is None:
        password = getpass.getpass("密码 (password): ")
        if getpass.getpass("再输一次 (again): ") != password:
            raise CliError("两次输入的密码不一致 (the passwords differ)")
    try:
        password_validation.validate_password(
            password, user=User(username=username, full_name=full_name)
        )
    except ValidationError as exc:
        raise CliError("密码不符合要求 (password rejected): " + " ".join(exc.messages)) from exc
    return password


def cmd_user_create(args: argparse.Namespace) -> int:
    _setup(getattr(args, "data_dir", None))
    from django.contrib.auth.models import Permission
    from django.db import transaction

    from hongxia.core import audit
    from hongxia.core.models import AuditLog, Region, User

    if User.objects.filter(username=args.username).exists():
        raise CliError(f"用户 {args.username} 已存在 (user exists)")
    region = Region.objects.filter(code=args.region).first()
    if region is None:
        raise CliError(f"区划代码 {args.region} 不存在 (no such region)")
    password = _read_password(args.username, args.full_name)
    with transaction.atomic(), _cli_actor():
        user = User.objects.create_user(
            username=args.username,
            password=password,
            role=args.role,
            region=region,
            full_name=args.full_name,
        )
        if args.sensitive:
            user.user_permissions.add(
                Permission.objects.get(codename="view_sensitive", content_type__app_label="people")
            )
        audit.record_change(
            user,
            AuditLog.Action.CREATE,
            after={
                "username": user.username,
                "role": user.role,
                "region": region.code,
                "view_sensitive": bool(args.sensitive),
            },
        )
    extra = "，可查看完整证件号和电话 (may see sensitive fields)" if args.sensitive else ""
    _say(f"已创建用户 (user created): {user.username} — {args.role} — {region.name}{extra}")
    return 0


def cmd_user_token(args: argparse.Namespace) -> int:
    _setup(getattr(args, "data_dir", None))
    from rest_framework.authtoken.models import Token

    from hongxia.core import audit
    from hongxia.core.models import AuditLog, User

    user = User.objects.filter(username=args.username).first()
    if user is None:
        raise CliError(f"用户 {args.username} 不存在 (no such user)")
    if not user.is_active:
        raise CliError(f"用户 {args.username} 已停用 (user is inactive)")
    token, created = Token.objects.get_or_create(user=user)
    if created:
        with _cli_actor():
            audit.record_event(AuditLog.Action.CREATE, obj=user, note="API token created")
    _say(token.key)
    return 0


def cmd_regions_load(args: argparse.Namespace) -> int:
    _setup(getattr(args, "data_dir", None))
    from django.core.exceptions import ValidationError

    from hongxia.core.services import regions_load

    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"找不到文件 {path} (file not found)")
    try:
        with _cli_actor():
            count = regions_load(path)
    except ValidationError as exc:
        raise CliError("区划文件有误 (bad region file):\n  " + "\n  ".join(exc.messages)) from exc
    _say(f"已载入 {count} 个区划 (regions loaded)")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    _setup(getattr(args, "data_dir", None))
    from django.core import checks
    from django.db import connections

    problems = 0
    messages = checks.run_checks(include_deployment_checks=args.deploy, databases=list(connections))
    for message in messages:
        serious = message.is_serious()
        problems += serious
        print(
            f"{'错误 (error)' if serious else '提示 (warning)'}: {message}",
            file=sys.stderr if serious else sys.stdout,
        )
    _say(f"系统检查 (system checks): {'通过 (ok)' if not problems else '有错误 (failed)'}")
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        _err(f"无法连接数据库 (cannot connect to the database): {exc}")
        return 1
    _say(f"数据库连接 (database, {connections['default'].vendor}): 正常 (ok)")
    pending = _pending_migrations()
    if pending:
        _err(
            f"有 {len(pending)} 个迁移未执行，请运行 hongxia manage migrate "
            f"(pending migrations): {', '.join(pending[:10])}"
        )
        return 1
    _say("数据库迁移 (migrations): 已全部执行 (all applied)")
    return 1 if problems else 0


# `hongxia WORD ACTION ...` → the Django management command that does it.
ALIASES: dict[tuple[str, str], tuple[str, str]] = {
    ("import", "roster"): ("import_roster", "导入花名册 (import a roster file)"),
    ("export", "roster"): ("export_roster", "导出花名册 (export the registry)"),
    ("report", "annual"): ("report_annual", "年度工作综述 (annual summary: json, xlsx, pdf)"),
    ("care", "plan"): ("care_plan", "生成走访任务 (plan the visit tasks due)"),
}


def cmd_manage(argv: Sequence[str]) -> int:
    rest = list(argv)
    _setup()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["hongxia manage", *rest])
    return 0


# --- the parser ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    data = argparse.ArgumentParser(add_help=False)
    data.add_argument(
        "--data-dir",
        default=argparse.SUPPRESS,
        metavar="DIR",
        help="数据目录 (data directory; default $HONGXIA_DATA_DIR or ./var)",
    )
    server = argparse.ArgumentParser(add_help=False)
    server.add_argument("--host", default="127.0.0.1")
    server.add_argument("--port", type=int, default=8000)
    server.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    server.add_argument("--access-log", action="store_true", help="log every request")

    parser = argparse.ArgumentParser(
        prog="hongxia",
        description="红霞 Hongxia — 老干部工作系统 (work system of a Veteran Cadres Bureau)",
        usage="hongxia [--data-dir DIR] COMMAND ...",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser(
        "demo",
        parents=[data, server],
        help="迁移、生成演示数据、建演示账号并启动 (everything, then serve)",
    )
    p.add_argument("--scale", choices=SCALES, default="city")
    p.add_argument("--seed", type=int, default=1, help="random seed of the synthetic data")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("serve", parents=[data, server], help="启动服务 (serve with gunicorn)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("seed", parents=[data], help="生成演示数据 (synthetic registry data)")
    p.add_argument("--scale", choices=SCALES, default="small")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--force",
        action="store_true",
        help="fail loudly instead of skipping when the registry is not empty "
        "(existing data is never deleted)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_seed)

    p = sub.add_parser("user", help="用户账号 (user accounts)")
    user_sub = p.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    q = user_sub.add_parser(
        "create",
        parents=[data],
        help="新建用户 (create a user); password from $HONGXIA_PASSWORD or asked twice",
    )
    q.add_argument("username")
    q.add_argument("--role", choices=ROLES, required=True)
    q.add_argument("--region", required=True, metavar="CODE", help="e.g. 431200, 431202")
    q.add_argument("--full-name", default="")
    q.add_argument(
        "--sensitive",
        action="store_true",
        help="may see ID numbers and phones unmasked (people.view_sensitive)",
    )
    q.set_defaults(func=cmd_user_create)
    q = user_sub.add_parser("token", parents=[data], help="API token (create or show)")
    q.add_argument("username")
    q.set_defaults(func=cmd_user_token)

    p = sub.add_parser(
        "check", parents=[data], help="检查配置、数据库和迁移 (system checks, database, migrations)"
    )
    p.add_argument("--deploy", action="store_true", help="include Django's deployment checks")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("regions", help="行政区划 (regions)")
    regions_sub = p.add_subparsers(dest="regions_command", metavar="ACTION", required=True)
    q = regions_sub.add_parser("load", parents=[data], help="载入区划 CSV (code,name,parent_code)")
    q.add_argument("file")
    q.set_defaults(func=cmd_regions_load)

    sub.add_parser("manage", help="Django 管理命令 (any Django management command)")
    # The aliases are run by main() before parsing; listed here so that --help shows them.
    actions: dict[str, Any] = {}
    for (word, action), (_command, text) in ALIASES.items():
        if word not in actions:
            actions[word] = sub.add_parser(word, help=text).add_subparsers(metavar="ACTION")
        actions[word].add_parser(action, help=text)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    # A --data-dir before the command applies to every command, `manage` included.
    if args_list[:1] == ["--data-dir"] and len(args_list) > 1:
        os.environ["HONGXIA_DATA_DIR"] = str(Path(args_list[1]).expanduser().resolve())
        args_list = args_list[2:]
    elif args_list and args_list[0].startswith("--data-dir="):
        value = args_list[0].split("=", 1)[1]
        os.environ["HONGXIA_DATA_DIR"] = str(Path(value).expanduser().resolve())
        args_list = args_list[1:]
    if args_list[:1] == ["manage"]:
        runner: Callable[[], int] = lambda: cmd_manage(args_list[1:])  # noqa: E731
    elif tuple(args_list[:2]) in ALIASES:
        command = ALIASES[(args_list[0], args_list[1])][0]
        runner = lambda: cmd_manage([command, *args_list[2:]])  # noqa: E731
    else:
        args = build_parser().parse_args(args_list)
        runner = lambda: args.func(args)  # noqa: E731
    try:
        return runner()
    except CliError as exc:
        _err(str(exc))
        return 1
    except KeyboardInterrupt:
        print("\n已中断 (interrupted)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
