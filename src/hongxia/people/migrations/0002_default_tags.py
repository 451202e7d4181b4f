from django.db import migrations


def load_tags(apps, schema_editor):
    from hongxia.people.choices_data import CLASSIFICATION_TAGS

    Tag = apps.get_model("people", "Tag")
    for code, zh, en in CLASSIFICATION_TAGS:
        Tag.objects.update_or_create(code=code, defaults={"name": zh, "name_en": en})


def unload_tags(apps, schema_editor):
    apps.get_model("people", "Tag").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(load_tags, unload_tags)]
