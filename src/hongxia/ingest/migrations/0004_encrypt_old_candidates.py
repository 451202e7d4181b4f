"""Merge candidates queued before the numbers were encrypted in ``data`` held a row's ID number
and phones in clear text. Encrypt them, as the importer now does."""

from django.db import migrations

SECRETS = ("id_number", "phone", "landline")


def encrypt_clear_numbers(apps, schema_editor):  # noqa: ARG001 - RunPython's signature
    from hongxia.core import crypto

    MergeCandidate = apps.get_model("ingest", "MergeCandidate")
    for candidate in MergeCandidate.objects.only("pk", "data").iterator(chunk_size=500):
        data = dict(candidate.data)
        changed = False
        for fname in SECRETS:
            value = data.get(fname)
            if not value or not isinstance(value, str):
                continue
            # A Fernet token starts with its version byte and a timestamp; no ID or phone
            # does. (Trying to decrypt would take every token for clear text under a wrong
            # key, and encrypt it twice.)
            if not value.startswith("gAAAAA"):
                data[fname] = crypto.encrypt(value)
                changed = True
        if changed:
            MergeCandidate.objects.filter(pk=candidate.pk).update(data=data)


class Migration(migrations.Migration):
    dependencies = [("ingest", "0003_merge_decision")]

    operations = [migrations.RunPython(encrypt_clear_numbers, migrations.RunPython.noop)]
