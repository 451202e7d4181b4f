"""Choice lists of the registry, in one place next to the models."""

from django.db import models
from django.utils.functional import lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from hongxia.people import choices_data


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Category(models.TextChoices):
    LIXIU = "lixiu", _("Veteran (离休)")
    TUIXIU = "tuixiu", _("Retired (退休)")
    SURVIVOR = "survivor", _("Survivor (遗属)")


class LifeStatus(models.TextChoices):
    ALIVE = "alive", _("Alive")
    DECEASED = "deceased", _("Deceased")


def _pick(zh: str, en: str) -> str:
    return en if (get_language() or "zh-hans").startswith("en") else zh


bilingual = lazy(_pick, str)


def _choices(rows: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
    """(code, 中文, English) reference rows as choices labelled in the active language."""
    return [(code, bilingual(zh, en)) for code, zh, en in rows]


ETHNICITY_CHOICES = _choices(choices_data.ETHNICITIES)
RANK_CHOICES = [(code, bilingual(zh, en)) for code, zh, en, _w in choices_data.RANKS]
POLITICAL_CHOICES = _choices(choices_data.POLITICAL_STATUSES)
HEALTH_CHOICES = _choices(choices_data.HEALTH_STATUSES)
RELATION_CHOICES = _choices(choices_data.RELATIONS)
PARTY_STATUSES = {"cpc_member", "cpc_probationary"}


class EventKind(models.TextChoices):
    DEATH = "death", _("Death")
    HOSPITALISED = "hospitalised", _("Hospital admission")
    DISCHARGED = "discharged", _("Hospital discharge")
    SERIOUS_ILLNESS = "serious_illness", _("Serious illness")
    HARDSHIP = "hardship", _("Hardship")
    BEREAVEMENT = "bereavement", _("Family bereavement")
    DISASTER = "disaster", _("Disaster")
    MOVED = "moved", _("Moved")
    OTHER = "other", _("Other")


AGE_BANDS = [
    ("lt60", _("Under 60"), None, 59),
    ("60_69", _("60–69"), 60, 69),
    ("70_79", _("70–79"), 70, 79),
    ("80_89", _("80–89"), 80, 89),
    ("90_99", _("90–99"), 90, 99),
    ("100", _("100 and over"), 100, None),
]
