"""Clients of the REST API, logged in as a given user."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api() -> Callable[[Any], APIClient]:
    """api(user) → a client acting as `user`; api(None) → an anonymous client."""

    def make(user: Any) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make
