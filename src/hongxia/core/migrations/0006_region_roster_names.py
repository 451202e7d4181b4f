"""Other names rosters use for Huaihua's regions, until now written into the importer's code
(ingest.services.OLD_NAMES): they are local data, kept on the region, which an administrator
can edit. Added to what each region already holds."""

from django.db import migrations

NAMES = {
    "431200": ["怀化地区", "黔阳地区"],
    "431202": ["怀化市直", "市直"],  # the city's own units' retirees are registered in 鹤城区
    "431271": ["洪江管理区"],
    "431281": ["黔阳县"],
}


def add_names(apps, schema_editor):  # noqa: ARG001 - RunPython's signature
    import re

    Region = apps.get_model("core", "Region")
    for region in Region.objects.filter(code__in=NAMES):
        held = [n for n in re.split(r"[,，;；、\s]+", region.former_names or "") if n]
        names = held + [n for n in NAMES[region.code] if n not in held]
        if names != held:
            region.former_names = "、".join(names)[:200]
            region.save(update_fields=["former_names"])


class Migration(migrations.Migration):
    dependencies = [("core", "0005_auth_data_version")]

    operations = [migrations.RunPython(add_names, migrations.RunPython.noop)]
