"""What both roster commands share: acting as a named user, in Chinese."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils.translation import gettext as _


def acting_user(username: str | None) -> Any:
    """The user a command acts as; every import and export is done as somebody."""
    if not username:
        raise CommandError(_("--user USERNAME is required: imports and exports act as a user."))
    try:
        return get_user_model().objects.get(username=username, is_active=True)
    except get_user_model().DoesNotExist as exc:
        raise CommandError(_("There is no active user %(name)s.") % {"name": username}) from exc
