"""The `hongxia` command: users, tokens, checks, regions, demo accounts, and a real run in a
fresh data directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rest_framework.authtoken.models import Token

from hongxia import cli
from hongxia.core.models import AuditLog, Region, User
from hongxia.people.models import Person
from hongxia.people.seed import seed

PASSWORD = "Lao-Gan-Bu-2026!"


@pytest.fixture
def password(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("HONGXIA_PASSWORD", PASSWORD)
    return PASSWORD


@pytest.mark.django_db
def test_user_create(password: str, capsys: pytest.CaptureFixture[str]) -> None:
    rc = cli.main(
        [
            "user",
            "create",
            "zhangsan",
            "--role",
            "county_clerk",
            "--region",
            "431202",
            "--full-name",
            "张三",
            "--sensitive",
        ]
    )
    assert rc == 0, capsys.readouterr().err
    user = User.objects.get(username="zhangsan")
    assert user.check_password(password)
    assert (user.role, user.region_id, user.full_name) == ("county_clerk", "431202", "张三")
    assert user.has_perm("people.view_sensitive")
    assert user.user_permissions.filter(codename="view_sensitive").exists()
    log = AuditLog.objects.get(action=AuditLog.Action.CREATE, model="core.User")
    assert log.object_pk == str(user.pk) and log.actor_name == "cli"
    assert "zhangsan" in capsys.readouterr().out


@pytest.mark.django_db
def test_user_create_without_sensitive_permission(password: str) -> None:
    assert cli.main(["user", "create", "lisi", "--role", "county_clerk", "--region", "431222"]) == 0
    assert not User.objects.get(username="lisi").has_perm("people.view_sensitive")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("argv", "secret", "message"),
    [
        (["--region", "431202"], "12345678", "密码不符合要求"),
        (["--region", "999999"], PASSWORD, "区划代码"),
    ],
)
def test_user_create_refuses(
    argv: list[str],
    secret: str,
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("HONGXIA_PASSWORD", secret)
    assert cli.main(["user", "create", "wangwu", "--role", "leader", *argv]) == 1
    assert message in capsys.readouterr().err
    assert not User.objects.filter(username="wangwu").exists()


@pytest.mark.django_db
def test_user_create_refuses_an_existing_user(
    password: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["user", "create", "zhaoliu", "--role", "leader", "--region", "431200"]
    assert cli.main(argv) == 0
    assert cli.main(argv) == 1
    assert "已存在" in capsys.readouterr().err


@pytest.mark.django_db
def test_user_create_asks_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HONGXIA_PASSWORD", raising=False)
    answers = iter([PASSWORD, "something-else-1"])
    monkeypatch.setattr(cli.getpass, "getpass", lambda prompt="": next(answers))
    assert cli.main(["user", "create", "sunqi", "--role", "leader", "--region", "431200"]) == 1
    answers = iter([PASSWORD, PASSWORD])
    assert cli.main(["user", "create", "sunqi", "--role", "leader", "--region", "431200"]) == 0


@pytest.mark.django_db
def test_user_token(password: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["user", "create", "api", "--role", "leader", "--region", "431200"]) == 0
    capsys.readouterr()
    assert cli.main(["user", "token", "api"]) == 0
    key = capsys.readouterr().out.strip()
    assert key == Token.objects.get(user__username="api").key
    assert cli.main(["user", "token", "api"]) == 0
    assert capsys.readouterr().out.strip() == key
    assert cli.main(["user", "token", "nobody"]) == 1


@pytest.mark.django_db
def test_check_passes_on_a_migrated_database(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check"]) == 0, capsys.readouterr()


@pytest.mark.django_db
def test_check_fails_on_pending_migrations(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "_pending_migrations", lambda: ["people.0099_future"])
    assert cli.main(["check"]) == 1
    assert "people.0099_future" in capsys.readouterr().err


@pytest.mark.django_db
def test_regions_load(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "regions.csv"
    good.write_text("code,name,parent_code\n431202099,试验街道,431202\n", encoding="utf-8")
    assert cli.main(["regions", "load", str(good)]) == 0
    assert Region.objects.get(code="431202099").parent_id == "431202"
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,parent_code\n12ab,坏,431202\n", encoding="utf-8")
    assert cli.main(["regions", "load", str(bad)]) == 1
    assert "区划代码" in capsys.readouterr().err
    assert cli.main(["regions", "load", str(tmp_path / "missing.csv")]) == 1
    # The names rosters use for a region come with the file, when it has the column; a file
    # without it leaves the names an administrator gave alone.
    named = tmp_path / "named.csv"
    named.write_text(
        "code,name,parent_code,former_names\n431202099,试验街道,431202,老街、试验乡\n",
        encoding="utf-8",
    )
    assert cli.main(["regions", "load", str(named)]) == 0
    assert Region.objects.get(code="431202099").former_names == "老街、试验乡"
    assert cli.main(["regions", "load", str(good)]) == 0
    assert Region.objects.get(code="431202099").former_names == "老街、试验乡"
    assert Region.objects.get(code="431202").former_names == "怀化市直、市直"


@pytest.mark.django_db
def test_demo_accounts(tmp_path: Path, settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    seed(scale="small", people=40, progress=False)
    first = {row[0]: row[1] for row in cli._demo_accounts(tmp_path)}
    assert set(first) == {"admin", "clerk_hecheng", "clerk_yuanling", "leader", "retiree"}
    admin = User.objects.get(username="admin")
    assert admin.role == "city_admin" and admin.region_id == "431200"
    assert admin.user_permissions.filter(codename="view_sensitive").exists()
    assert admin.check_password(first["admin"])
    assert User.objects.get(username="clerk_yuanling").region_id == "431222"
    retiree = User.objects.get(username="retiree")
    person = Person.objects.get(account=retiree)
    assert person.life_status == "alive" and retiree.region_id == person.region_id
    text = (tmp_path / "demo-accounts.txt").read_text(encoding="utf-8")
    assert first["clerk_hecheng"] in text
    assert oct((tmp_path / "demo-accounts.txt").stat().st_mode & 0o777) == "0o600"

    again = {row[0]: row[1] for row in cli._demo_accounts(tmp_path)}
    assert again["admin"] != first["admin"]
    assert User.objects.get(username="admin").check_password(again["admin"])
    assert Person.objects.get(account__username="retiree").pk == person.pk
    assert User.objects.filter(username__in=list(first)).count() == 5


def test_unknown_arguments_exit_with_usage() -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["seed", "--scale", "galaxy"])
    assert exc.value.code == 2


def _run(data_dir: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"HONGXIA_DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env["HONGXIA_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "hongxia.cli", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_fresh_data_directory_end_to_end(tmp_path: Path) -> None:
    """check fails before migrating and passes after; seed works on the real SQLite file and
    refuses a second time."""
    data = tmp_path / "var"
    result = _run(data, "check")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "manage migrate" in result.stderr
    result = _run(data, "manage", "migrate", "-v", "0")
    assert result.returncode == 0, result.stderr
    assert _run(data, "check").returncode == 0
    result = _run(data, "seed", "--scale", "small", "--quiet")
    assert result.returncode == 0, result.stderr
    assert "2000" in result.stdout
    assert (data / "hongxia.sqlite3").exists()
    again = _run(data, "seed", "--scale", "small", "--quiet", "--force")
    assert again.returncode == 1 and "nothing is ever deleted" in again.stderr


@pytest.mark.parametrize("words", sorted(cli.ALIASES))
def test_each_command_explains_itself(words: tuple[str, str]) -> None:
    """`hongxia import roster --help` and the like print their options (a literal % in a help
    text once made argparse fail instead)."""
    from django.core.management import get_commands, load_command_class

    name = cli.ALIASES[words][0]
    command = load_command_class(get_commands()[name], name)
    text = " ".join(command.create_parser("hongxia", name).format_help().split())
    assert command.help in text
    assert all(f"--{a.dest.replace('_', '-')}" in text for a in command.create_parser(
        "hongxia", name)._actions if a.option_strings and a.dest != "help")
