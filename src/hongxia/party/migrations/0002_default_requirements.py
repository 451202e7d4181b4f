from django.db import migrations


def load(apps, schema_editor):
    from hongxia.party.choices import DEFAULT_REQUIREMENTS

    Requirement = apps.get_model("party", "MeetingRequirement")
    for org_kind, meeting_kind, times, per in DEFAULT_REQUIREMENTS:
        Requirement.objects.get_or_create(
            org_kind=org_kind, meeting_kind=meeting_kind, defaults={"times": times, "per": per}
        )


def unload(apps, schema_editor):
    apps.get_model("party", "MeetingRequirement").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("party", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
