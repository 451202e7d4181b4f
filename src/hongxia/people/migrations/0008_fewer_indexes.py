"""Indexes that no query uses, dropped: every new person paid for them on insert (an import
of 56,000 people writes 534,000 search keys).

- people_searchkey (person_id): the unique (person_id, key) index serves every lookup by
  person, the cascade on delete included.
- PostgreSQL only, the LIKE indexes (varchar_pattern_ops) Django adds beside a unique or
  indexed CharField: id_hash and phone_hash are keyed hashes, only ever compared whole.
  SQLite has no such indexes. The model state is unchanged by the second part, as Django's
  state does not hold these indexes.
"""

import django.db.models.deletion
from django.db import migrations, models

LIKE_INDEXES = {
    "people_person_id_hash_918359a6_like": "id_hash",
    "people_person_phone_hash_0f1e8fe3_like": "phone_hash",
}


def drop_like_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in LIKE_INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def create_like_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, column in LIKE_INDEXES.items():
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON people_person ({column} varchar_pattern_ops)"
            )


class Migration(migrations.Migration):
    dependencies = [("people", "0007_searchkey_name_pinyin")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="searchkey",
                    name="person",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="search_keys",
                        to="people.person",
                    ),
                ),
            ],
            # One statement on both databases (the name is Django's, the same on both),
            # instead of the table rebuild SQLite would do for an AlterField.
            database_operations=[
                migrations.RunSQL(
                    "DROP INDEX IF EXISTS people_searchkey_person_id_9e7575e8",
                    'CREATE INDEX people_searchkey_person_id_9e7575e8 ON people_searchkey ("person_id")',
                ),
            ],
        ),
        migrations.RunPython(drop_like_indexes, create_like_indexes),
    ]
