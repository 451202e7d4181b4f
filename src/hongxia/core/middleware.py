"""Request-wide concerns: who is acting (for the audit trail) and idle-session expiry."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.utils import translation

from hongxia.core import context, versions


def client_ip(request: HttpRequest) -> str | None:
    # Behind nginx the real address arrives in X-Real-IP (docs/operations.md sets it).
    return request.META.get("HTTP_X_REAL_IP") or request.META.get("REMOTE_ADDR")


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = context.set_current(
            context.Actor(user=request.user, ip=client_ip(request), via="web")
        )
        try:
            if request.method in ("GET", "HEAD"):
                with versions.read_once():  # one read of the data versions per page
                    return self.get_response(request)
            return self.get_response(request)
        finally:
            context.reset(token)


class IdleTimeoutMiddleware:
    """Log out a session idle for longer than HONGXIA_IDLE_MINUTES.

    The last-seen time is written at most once a minute, so a busy user does not cost a
    session write on every request.
    """

    KEY = "hongxia_seen"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user: Any = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            seen = request.session.get(self.KEY)
            if seen is not None and now - seen > settings.HONGXIA_IDLE_MINUTES * 60:
                logout(request)
                request.session["hongxia_timed_out"] = True
            elif seen is None or now - seen >= 60:
                request.session[self.KEY] = now
        return self.get_response(request)


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Pages are in Chinese unless the user chose otherwise with the language switch.

    An office PC's browser may well announce English; the staff still expect Chinese, so the
    pages ignore Accept-Language and follow only the switch's cookie. API clients, which have
    no switch, get the language their Accept-Language asks for.
    """

    def process_request(self, request: HttpRequest) -> None:
        if request.path.startswith("/api/"):
            super().process_request(request)
            return
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
