from typing import Any

from django.http import HttpRequest

from hongxia.core.auth import permission_key


def hongxia(request: HttpRequest) -> dict[str, Any]:
    user: Any = getattr(request, "user", None)
    return {
        "can_see_sensitive": bool(
            user and user.is_authenticated and user.has_perm("people.view_sensitive")
        ),
        # base.html's cached main menu varies by it
        "nav_key": lambda: permission_key(user),
    }
