"""The party API's endpoints are all in the OpenAPI document, with their methods."""

from __future__ import annotations

from rest_framework.test import APIClient


def test_openapi_document_lists_every_party_endpoint() -> None:
    doc = APIClient().get("/api/openapi.json", HTTP_ACCEPT="application/json").json()
    party = {path: set(ops) - {"parameters"} for path, ops in doc["paths"].items()
             if path.startswith("/api/party/")}
    assert party == {
        "/api/party/organisations": {"get"},
        "/api/party/organisations/{id}": {"get"},
        "/api/party/members": {"get"},
        "/api/party/members/{id}": {"get"},
        "/api/party/members/{id}/transfer-targets": {"get"},
        "/api/party/meetings": {"get", "post"},
        "/api/party/meetings/{id}": {"get", "put", "patch", "delete"},
        "/api/party/meetings/{id}/attachments": {"get", "post"},
        "/api/party/attachments/{id}": {"get", "delete"},
        "/api/party/participants": {"get", "post"},
        "/api/party/participants/{id}": {"get"},
        "/api/party/participants/{id}/end": {"post"},
        "/api/party/transfer-requests": {"get", "post"},
        "/api/party/transfer-requests/{id}": {"get"},
        "/api/party/transfer-requests/{id}/accept": {"post"},
        "/api/party/transfer-requests/{id}/decline": {"post"},
        "/api/party/transfer-requests/{id}/withdraw": {"post"},
        "/api/party/branch-rules": {"get"},
    }
    upload = doc["paths"]["/api/party/meetings/{id}/attachments"]["post"]["requestBody"]
    assert "multipart/form-data" in upload["content"]
    listing = doc["paths"]["/api/party/transfer-requests"]["get"]["parameters"]
    assert {"direction", "status", "cursor", "page_size"} <= {p["name"] for p in listing}
    assert "PartyRequestStatusEnum" in doc["components"]["schemas"]
    rules = doc["paths"]["/api/party/branch-rules"]["get"]["parameters"]
    assert {"q", "region", "rule", "cursor", "page_size"} <= {p["name"] for p in rules}
