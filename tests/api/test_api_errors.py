"""Every API error is JSON of one shape, in the request's language, and never a 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework.test import APIClient
from tests.conftest import HECHENG

from hongxia.api.errors import exception_handler
from hongxia.core.models import AuditLog
from hongxia.people.models import Person

Api = Callable[[Any], APIClient]
LIST = "/api/people"


def assert_error(response: Any, status: int, *fields: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["message"], str) and body["message"]
    assert set(body) <= {"message", "errors"}
    for field in fields:
        assert field in body["errors"], body
        assert all(isinstance(m, str) and m for m in body["errors"][field])
    return body


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ("[1, 2]", "non_field_errors"),
        ('"a string"', "non_field_errors"),
        ("42", "non_field_errors"),
        ("null", "non_field_errors"),
        ('{"name": ["x"], "category": "tuixiu", "region": "431202"}', "name"),
        ('{"name": {"a": 1}, "category": "tuixiu", "region": "431202"}', "name"),
        (
            '{"name": "张三", "birth_date": 123, "category": "tuixiu", "region": "431202"}',
            "birth_date",
        ),
        (
            '{"name": "张三", "birth_date": [], "category": "tuixiu", "region": "431202"}',
            "birth_date",
        ),
        (
            '{"name": "张三", "gender": "M", "birth_date": "1950-01-01", "category": "tuixiu", '
            '"region": 431202, "lunar_birthday": "maybe"}',
            "lunar_birthday",
        ),
        ('{"name": "张三", "category": "tuixiu", "region": "431202", "tags": [["a"]]}', "tags"),
        (
            '{"name": "张三", "category": "tuixiu", "region": "431202", "survivor_of": "x"}',
            "survivor_of",
        ),
    ],
)
def test_wrong_typed_body_is_400_and_saves_nothing(
    api: Api, clerk: Any, raw: str, field: str
) -> None:
    response = api(clerk).post(LIST, raw, content_type="application/json")
    assert_error(response, 400, field)
    assert not Person.objects.exists()


@pytest.mark.parametrize("raw", ['{"name": "张三",', "{'name': 1}", "", "\xff\xfe"])
def test_malformed_json_is_400(api: Api, clerk: Any, raw: str) -> None:
    response = api(clerk).post(LIST, raw, content_type="application/json")
    if raw == "":
        # An empty body is an empty object: each required field is named.
        assert_error(response, 400, "name", "category", "region")
    else:
        assert_error(response, 400)
    assert not Person.objects.exists()


def test_malformed_json_on_update_is_400(api: Api, clerk: Any, person: Any) -> None:
    response = api(clerk).patch(f"/api/people/{person.pk}", "{", content_type="application/json")
    assert_error(response, 400)
    assert not AuditLog.objects.exists()


def test_form_encoded_body_is_415(api: Api, clerk: Any) -> None:
    response = api(clerk).post(LIST, {"name": "张三"}, format="multipart")
    body = assert_error(response, 415)
    assert "multipart/form-data" in body["message"]
    assert not Person.objects.exists()


def test_no_credentials_is_401_everywhere(person: Any) -> None:
    client = APIClient()
    for response in (
        client.get(LIST),
        client.post(LIST, {}, format="json"),
        client.get(f"/api/people/{person.pk}"),
        client.get("/api/me"),
        client.get("/api/regions"),
    ):
        assert_error(response, 401)
        assert response["WWW-Authenticate"].startswith("Token")


def test_a_wrong_token_is_401(person: Any) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    assert_error(client.get(LIST), 401)


def test_no_permission_is_403(api: Api, leader: Any) -> None:
    assert_error(api(leader).post(LIST, {"name": "张三"}, format="json"), 403)


def test_session_login_needs_the_csrf_token_for_writes(clerk: Any) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(clerk)
    assert client.get(LIST).status_code == 200
    body = assert_error(client.post(LIST, {"name": "张三"}, format="json"), 403)
    assert "CSRF" in body["message"]


@pytest.mark.parametrize(
    "url", ["/api/people/999999", "/api/people/abc", "/api/nothing-here", "/api/people/1/x"]
)
def test_not_found_is_json(api: Api, clerk: Any, url: str) -> None:
    assert_error(api(clerk).get(url), 404)


def test_method_not_allowed_is_405(api: Api, clerk: Any, person: Any) -> None:
    client = api(clerk)
    response = client.delete(f"/api/people/{person.pk}")
    assert_error(response, 405)
    assert "PATCH" in response["Allow"]
    assert_error(client.get(f"/api/people/{person.pk}/death"), 405)
    assert_error(client.delete(LIST), 405)
    assert_error(client.post("/api/me", {}, format="json"), 405)


def test_trailing_slash_is_accepted(api: Api, clerk: Any, person: Any) -> None:
    assert api(clerk).get(LIST + "/").status_code == 200
    assert api(clerk).get(f"/api/people/{person.pk}/").json()["id"] == person.pk


def test_messages_follow_the_request_language(api: Api, clerk: Any) -> None:
    client = api(clerk)
    default = client.post(LIST, "[]", content_type="application/json")
    english = client.post(LIST, "[]", content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert default["Content-Language"] == "zh-hans"
    assert english["Content-Language"] == "en"
    assert english.json()["message"] == "The request body must be a JSON object."


def test_service_rules_become_field_errors(api: Api, clerk: Any) -> None:
    body = {
        "name": "张三",
        "gender": "M",
        "birth_date": "1850-01-01",
        "category": "tuixiu",
        "region": HECHENG,
    }
    response = api(clerk).post(LIST, body, format="json")
    assert_error(response, 400, "birth_date")


# --- the handler itself ----------------------------------------------------------------------


def test_handler_turns_django_errors_into_json() -> None:
    response = exception_handler(DjangoValidationError({"region": ["no"], "__all__": ["x"]}), {})
    assert response is not None
    assert response.status_code == 400
    assert response.data["errors"] == {"region": ["no"], "non_field_errors": ["x"]}
    plain = exception_handler(DjangoValidationError("only a sentence"), {})
    assert plain is not None
    assert plain.data == {
        "message": "only a sentence",
        "errors": {"non_field_errors": ["only a sentence"]},
    }
    denied = exception_handler(DjangoPermissionDenied(), {})
    assert denied is not None and denied.status_code == 403
    missing = exception_handler(Http404(), {})
    assert missing is not None and missing.status_code == 404


def test_handler_leaves_bugs_alone() -> None:
    assert exception_handler(ZeroDivisionError(), {}) is None


def test_openapi_document_describes_every_endpoint_and_the_error_shape() -> None:
    response = APIClient().get("/api/openapi.json", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    doc = response.json()
    paths = doc["paths"]
    # The registry's endpoints; the domain apps add theirs under /api/<app>/.
    domain = {"party", "care", "import", "reports"}
    assert {p for p in paths if p.split("/")[2] not in domain} == {
        "/api/people",
        "/api/people/{id}",
        "/api/people/{id}/death",
        "/api/people/{id}/reveal",
        "/api/regions",
        "/api/me",
    }
    assert set(paths["/api/people"]) == {"get", "post"}
    assert set(paths["/api/people/{id}"]) == {"get", "put", "patch"}
    params = {p["name"] for p in paths["/api/people"]["get"]["parameters"]}
    assert {
        "q",
        "region",
        "category",
        "rank",
        "tag",
        "life_status",
        "party",
        "age_band",
        "lives_elsewhere",
        "cursor",
        "page_size",
    } <= params
    error = doc["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"message", "errors"}
    assert (
        paths["/api/people"]["post"]["responses"]["400"]["content"]["application/json"]["schema"][
            "$ref"
        ]
        == "#/components/schemas/Error"
    )
