"""Log-in lockout after repeated failures, idle timeout, and both as audit records."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from tests.factories import PASSWORD, UserFactory

from hongxia.core.models import AuditLog, User

pytestmark = pytest.mark.django_db


def _login(client: Client, username: str, password: str) -> Any:
    return client.post("/login/", {"username": username, "password": password})


def test_five_failures_lock_the_account_even_for_the_right_password(clerk: Any) -> None:
    client = Client()
    for _ in range(4):
        response = _login(client, clerk.username, "wrong-password")
        assert response.status_code == 200
        assert "锁定" not in response.content.decode()
    response = _login(client, clerk.username, "wrong-password")
    assert "锁定" in response.content.decode()
    response = _login(client, clerk.username, PASSWORD)
    assert response.status_code == 200, "a locked account must not log in"
    assert "锁定" in response.content.decode()
    assert AuditLog.objects.filter(action="locked", actor=clerk).count() == 1
    assert AuditLog.objects.filter(action="login_failed", actor=clerk).count() == 5


def test_lock_expires_after_the_configured_minutes(clerk: Any, settings: Any) -> None:
    settings.HONGXIA_LOCKOUT_MINUTES = 15
    User.objects.filter(pk=clerk.pk).update(
        locked_until=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = _login(Client(), clerk.username, PASSWORD)
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert clerk.locked_until is None


def test_lockout_threshold_is_a_setting(clerk: Any, settings: Any) -> None:
    settings.HONGXIA_LOCKOUT_ATTEMPTS = 2
    client = Client()
    _login(client, clerk.username, "nope")
    assert "锁定" in _login(client, clerk.username, "nope").content.decode()


def test_successful_login_is_audited_with_address(clerk: Any) -> None:
    response = Client(REMOTE_ADDR="10.1.2.3").post(
        "/login/", {"username": clerk.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    row = AuditLog.objects.get(action="login")
    assert row.actor == clerk and row.ip == "10.1.2.3"


def test_idle_session_is_logged_out(clerk: Any, settings: Any, monkeypatch: Any) -> None:
    import time

    settings.HONGXIA_IDLE_MINUTES = 30
    client = Client()
    client.force_login(clerk)
    assert client.get("/people/").status_code == 200
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 31 * 60)
    response = client.get("/people/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    page = client.get(response["Location"])
    assert "长时间未操作" in page.content.decode()


def test_active_session_survives(clerk: Any, settings: Any, monkeypatch: Any) -> None:
    import time

    client = Client()
    client.force_login(clerk)
    real = time.time
    for minutes in (10, 20, 35, 50):
        monkeypatch.setattr(time, "time", lambda m=minutes: real() + m * 60)
        assert client.get("/people/").status_code == 200


def test_pages_need_login() -> None:
    response = Client().get("/people/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_granted_or_revoked_permission_counts_on_the_next_request(db: Any) -> None:
    """Permissions from the database are cached per user (core.auth); the "auth" data version
    (triggers on the permission and group tables) must make changes count at once."""
    from django.contrib.auth.models import Group, Permission

    user = UserFactory(username="perm_user", role="county_clerk", region_id="431202")
    perm = Permission.objects.get(codename="view_sensitive", content_type__app_label="people")

    def fresh() -> Any:  # what the next request loads
        return User.objects.get(pk=user.pk)

    assert not fresh().has_perm("people.view_sensitive")
    user.user_permissions.add(perm)
    assert fresh().has_perm("people.view_sensitive")
    user.user_permissions.remove(perm)
    assert not fresh().has_perm("people.view_sensitive")

    group = Group.objects.create(name="看得见号码")
    user.groups.add(group)
    assert not fresh().has_perm("people.view_sensitive")
    group.permissions.add(perm)
    assert fresh().has_perm("people.view_sensitive")
    group.permissions.remove(perm)
    assert not fresh().has_perm("people.view_sensitive")
