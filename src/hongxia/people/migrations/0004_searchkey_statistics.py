"""A finer histogram for search keys on PostgreSQL.

With the default statistics target a pinyin prefix such as 'zhang' (92,000 keys of 11 million
at province scale) falls inside one histogram bucket and is estimated at 19 rows; the planner
then looks up every match by primary key and sorts them (580 ms). With 1,000 buckets the
estimate is right and it walks the (name_pinyin, id) index, probing the keys (90 ms).
"""

from django.db import migrations


def finer(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ALTER TABLE people_searchkey ALTER COLUMN "key" SET STATISTICS 1000')


def default(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ALTER TABLE people_searchkey ALTER COLUMN "key" SET STATISTICS -1')


class Migration(migrations.Migration):
    dependencies = [("people", "0003_searchkey_c_collation")]
    operations = [migrations.RunPython(finer, default)]
