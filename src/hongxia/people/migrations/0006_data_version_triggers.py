"""Writes to the registry's tables raise the "people" data version (hongxia.core.versions):
the registry list's page cache is keyed by it."""

from django.db import migrations

from hongxia.core import versions

on, off = versions.install("people", "people_person", "people_person_tags", "people_tag")


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0005_manage_tags_permission"),
        ("core", "0004_dataversion"),
    ]

    operations = [migrations.RunPython(on, off)]
