"""Search keys compare by code point on PostgreSQL, whatever the database's collation, so that
a prefix becomes the index range `key >= p AND key < upper(p)` (SQLite compares bytes already)."""

from django.db import migrations


def to_c(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            'ALTER TABLE people_searchkey ALTER COLUMN "key" TYPE varchar(64) COLLATE "C"'
        )


def from_c(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            'ALTER TABLE people_searchkey ALTER COLUMN "key" TYPE varchar(64) COLLATE "default"'
        )


class Migration(migrations.Migration):
    dependencies = [("people", "0002_default_tags")]
    operations = [migrations.RunPython(to_c, from_c)]
