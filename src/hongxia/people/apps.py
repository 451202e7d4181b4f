from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "hongxia.people"
    label = "people"
    verbose_name = _("Registry")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(_ensure_tags, sender=self)


def _ensure_tags(sender: object, using: str = "default", **kwargs: object) -> None:
    """Default classification tags: loaded by a migration, put back after a flush."""
    from hongxia.people.choices_data import CLASSIFICATION_TAGS
    from hongxia.people.models import Tag

    if not Tag.objects.using(using).exists():
        Tag.objects.using(using).bulk_create(
            [Tag(code=code, name=zh, name_en=en) for code, zh, en in CLASSIFICATION_TAGS]
        )
