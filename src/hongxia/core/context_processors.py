import hashlib
from typing import Any

from django.http import HttpRequest


def hongxia(request: HttpRequest) -> dict[str, Any]:
    user: Any = getattr(request, "user", None)
    return {
        "can_see_sensitive": bool(
            user and user.is_authenticated and user.has_perm("people.view_sensitive")
        ),
        "nav_key": lambda: _nav_key(user),
    }


def _nav_key(user: Any) -> str:
    """What the main menu depends on, for base.html's cached menu: the user's permissions."""
    if not (user and user.is_authenticated):
        return "anonymous"
    perms = ",".join(sorted(user.get_all_permissions()))
    return hashlib.sha256(perms.encode()).hexdigest()[:32]
