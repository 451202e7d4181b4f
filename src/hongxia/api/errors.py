"""Every API error as one JSON shape: {"message": "<one sentence>", "errors": {field: [...]}}.

`errors` appears only when the problem belongs to fields of the request. Messages follow the
request's language (zh-Hans unless the client asks for another), so source strings are English
wrapped in gettext.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import set_rollback

__all__ = ["exception_handler", "field_errors"]


def _strings(detail: Any) -> list[str]:
    """Every message in a (possibly nested) DRF or Django error structure, in order."""
    if isinstance(detail, Mapping):
        return [m for value in detail.values() for m in _strings(value)]
    if isinstance(detail, list | tuple):
        return [m for value in detail for m in _strings(value)]
    return [str(detail)]


def field_errors(detail: Any) -> dict[str, list[str]]:
    """{field: [messages]} from DRF's ValidationError detail or a Django message_dict.

    Nested errors (one entry of a list field) are flattened under the top-level field, and
    Django's "__all__" is reported under DRF's non-field key, so clients see one convention.
    """
    if not isinstance(detail, Mapping):
        return {api_settings.NON_FIELD_ERRORS_KEY: _strings(detail)}
    errors: dict[str, list[str]] = {}
    for key, value in detail.items():
        name = api_settings.NON_FIELD_ERRORS_KEY if key == NON_FIELD_ERRORS else str(key)
        errors.setdefault(name, []).extend(_strings(value))
    return errors


def _from_django(exc: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError(exc.message_dict)
    return exceptions.ValidationError({NON_FIELD_ERRORS: exc.messages})


def _message(exc: exceptions.APIException, request: Any) -> str:
    """One human sentence for the error, in the active language."""
    if isinstance(exc, exceptions.ValidationError):
        errors = field_errors(exc.detail)
        if list(errors) == [api_settings.NON_FIELD_ERRORS_KEY]:
            return errors[api_settings.NON_FIELD_ERRORS_KEY][0]
        return _("The request has errors; see the message for each field.")
    if isinstance(exc, exceptions.ParseError):
        return _("The request body could not be read; send one JSON object.")
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return _("The content type %(type)s is not accepted; send JSON.") % {
            "type": getattr(request, "content_type", "") or "?"
        }
    if isinstance(exc, exceptions.AuthenticationFailed):
        return _("The credentials sent were not accepted.")
    if isinstance(exc, exceptions.NotAuthenticated):
        return _("Log in, or send an API token in the Authorization header.")
    if isinstance(exc, exceptions.PermissionDenied):
        if str(exc.detail) != str(exc.default_detail):
            return str(exc.detail)  # e.g. DRF's "CSRF Failed: ..." says what to fix
        return _("You do not have permission to do this.")
    if isinstance(exc, exceptions.NotFound):
        return _("Not found, or not within your region.")
    if isinstance(exc, exceptions.MethodNotAllowed):
        return _("The method %(method)s is not allowed here.") % {
            "method": getattr(request, "method", "") or "?"
        }
    if isinstance(exc, exceptions.Throttled):
        return _("Too many requests; try again later.")
    return _strings(exc.detail)[0] if _strings(exc.detail) else _("The request failed.")


def exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER; anything it does not know stays a 500 (a bug, not bad input)."""
    if isinstance(exc, DjangoValidationError):
        exc = _from_django(exc)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None

    request = context.get("request")
    headers: dict[str, str] = {}
    status_code = exc.status_code
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        # DRF answers 403 when the first authenticator is the session; an API client needs 401
        # and the scheme to use.
        status_code = status.HTTP_401_UNAUTHORIZED
        headers["WWW-Authenticate"] = 'Token realm="api"'
    wait = getattr(exc, "wait", None)
    if wait:
        headers["Retry-After"] = str(int(wait))

    body: dict[str, Any] = {"message": _message(exc, request)}
    if isinstance(exc, exceptions.ValidationError):
        body["errors"] = field_errors(exc.detail)
    set_rollback()
    return Response(body, status=status_code, headers=headers)
