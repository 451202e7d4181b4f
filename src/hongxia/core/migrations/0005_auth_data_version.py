"""Writes to the permission and group tables raise the "auth" data version: the permission
cache (core.auth.LockoutModelBackend) is keyed by it."""

from django.db import migrations

from hongxia.core import versions

on, off = versions.install(
    "auth", "core_user_user_permissions", "core_user_groups", "auth_group_permissions"
)


class Migration(migrations.Migration):
    dependencies = [("core", "0004_dataversion"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(on, off)]
