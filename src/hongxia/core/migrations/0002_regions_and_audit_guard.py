"""Load the Huaihua region tree, and make audit rows immutable in the database itself."""

from django.db import migrations


def load_regions(apps, schema_editor):
    from hongxia.core.services import regions_load

    regions_load(model=apps.get_model("core", "Region"))


def unload_regions(apps, schema_editor):
    apps.get_model("core", "Region").objects.all().delete()


GUARDS = {
    "sqlite": [
        """CREATE TRIGGER core_auditlog_no_update BEFORE UPDATE ON core_auditlog
           BEGIN SELECT RAISE(ABORT, 'audit rows are immutable'); END""",
    ],
    "postgresql": [
        """CREATE OR REPLACE FUNCTION core_auditlog_immutable() RETURNS trigger AS $$
           BEGIN RAISE EXCEPTION 'audit rows are immutable'; END; $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER core_auditlog_no_change BEFORE UPDATE OR DELETE ON core_auditlog
           FOR EACH ROW EXECUTE FUNCTION core_auditlog_immutable()""",
    ],
}
# SQLite's test-database flush deletes rows, so deletes are refused there by the application
# only; PostgreSQL flushes with TRUNCATE, which a row trigger does not see.
UNGUARDS = {
    "sqlite": ["DROP TRIGGER IF EXISTS core_auditlog_no_update"],
    "postgresql": [
        "DROP TRIGGER IF EXISTS core_auditlog_no_change ON core_auditlog",
        "DROP FUNCTION IF EXISTS core_auditlog_immutable()",
    ],
}


def guard(apps, schema_editor):
    for sql in GUARDS.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def unguard(apps, schema_editor):
    for sql in UNGUARDS.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [
        migrations.RunPython(load_regions, unload_regions),
        migrations.RunPython(guard, unguard),
    ]
