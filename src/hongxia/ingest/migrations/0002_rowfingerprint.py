"""Import fingerprints, and the trigger that forgets a person's as soon as the record changes
(hongxia.ingest.fingerprints)."""

import django.db.models.deletion
from django.db import migrations, models

from hongxia.ingest import fingerprints


class Migration(migrations.Migration):
    dependencies = [
        ("ingest", "0001_initial"),
        ("people", "0007_searchkey_name_pinyin"),
    ]

    operations = [
        migrations.CreateModel(
            name="RowFingerprint",
            fields=[
                (
                    "person",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="people.person",
                        verbose_name="registered person",
                    ),
                ),
                ("digest", models.CharField(max_length=32, verbose_name="digest")),
                (
                    "cells",
                    models.CharField(blank=True, max_length=32, verbose_name="cells digest"),
                ),
            ],
            options={
                "verbose_name": "import fingerprint",
                "verbose_name_plural": "import fingerprints",
                "indexes": [models.Index(fields=["cells"], name="rowfingerprint_cells")],
            },
        ),
        migrations.RunPython(fingerprints.install, fingerprints.uninstall),
    ]
