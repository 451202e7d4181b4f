from django.db import migrations, models

from hongxia.core import versions


def create_function(apps, schema_editor):
    for sql in versions.function_sql(schema_editor.connection.vendor)[0]:
        schema_editor.execute(sql)


def drop_function(apps, schema_editor):
    for sql in versions.function_sql(schema_editor.connection.vendor)[1]:
        schema_editor.execute(sql)


regions_on, regions_off = versions.install("regions", "core_region")


class Migration(migrations.Migration):
    dependencies = [("core", "0003_role_branch_secretary")]

    operations = [
        migrations.CreateModel(
            name="DataVersion",
            fields=[
                ("topic", models.CharField(max_length=32, primary_key=True, serialize=False)),
                ("version", models.BigIntegerField(default=1)),
            ],
            options={"default_permissions": ()},
        ),
        migrations.RunPython(create_function, drop_function),
        migrations.RunPython(regions_on, regions_off),
    ]
