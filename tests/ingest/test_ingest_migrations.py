"""Data migrations of the import app, run on rows an older version left behind."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from hongxia.core import crypto
from hongxia.ingest import services
from hongxia.ingest.models import MergeCandidate
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_numbers_an_old_version_queued_in_clear_are_encrypted() -> None:
    person = PersonFactory(region_id="431202", name="王秀英", id_number="")
    old = MergeCandidate.objects.create(
        region_id="431202",
        person=person,
        name="王秀英",
        data={"name": "王秀英", "id_number": "43120219400210002X", "phone": "13907451234"},
    )
    token = crypto.encrypt("13907455678")
    new = MergeCandidate.objects.create(
        region_id="431202", person=person, name="王秀英", data={"name": "王秀英", "phone": token}
    )
    migration = importlib.import_module("hongxia.ingest.migrations.0004_encrypt_old_candidates")
    migration.encrypt_clear_numbers(apps, None)

    old.refresh_from_db()
    assert "43120219400210002X" not in str(old.data)
    assert "13907451234" not in str(old.data)
    assert crypto.decrypt(old.data["id_number"]) == "43120219400210002X"
    values = services.candidate_values(old)  # what 待合并 hands to the registry
    assert (values["id_number"], values["phone"]) == ("43120219400210002X", "13907451234")
    new.refresh_from_db()
    assert new.data["phone"] == token  # a token is not encrypted twice
