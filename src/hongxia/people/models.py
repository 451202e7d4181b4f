"""The registry (信息库): retirees, survivors, their contacts, tags and life events."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from hongxia.core.crypto import EncryptedCharField
from hongxia.core.scope import ScopedModel
from hongxia.people.choices import (
    ETHNICITY_CHOICES,
    HEALTH_CHOICES,
    POLITICAL_CHOICES,
    RANK_CHOICES,
    RELATION_CHOICES,
    Category,
    EventKind,
    Gender,
    LifeStatus,
)


class Tag(models.Model):
    """精细分类 — a classification tag such as 高龄, 独居, 失能; administrators edit the list."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=32)
    name_en = models.CharField(_("English name"), max_length=64, blank=True)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("classification tag")
        verbose_name_plural = _("classification tags")
        ordering = ["id"]

    def __str__(self) -> str:
        from django.utils.translation import get_language

        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name


class Person(ScopedModel):
    """离退休干部 or 遗属 — one person in the registry, kept after death."""

    name = models.CharField(_("name"), max_length=64)
    name_pinyin = models.CharField(_("pinyin"), max_length=128, editable=False, default="")
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    ethnicity = models.CharField(
        _("ethnicity"), max_length=2, choices=ETHNICITY_CHOICES, default="01"
    )

    id_number = EncryptedCharField(_("ID number"), blank=True, default="")
    # Keyed hash of the normalised 18-character number: exact lookup and one person per ID.
    id_hash = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    id_masked = models.CharField(
        _("ID number"), max_length=24, blank=True, default="", editable=False
    )

    birth_date = models.DateField(_("birth date"))
    lunar_birthday = models.BooleanField(_("birthday kept by the lunar calendar"), default=False)

    category = models.CharField(_("category"), max_length=10, choices=Category.choices)
    survivor_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="survivors",
        verbose_name=_("survivor of"),
    )
    survivor_relation = models.CharField(
        _("relation to the deceased"), max_length=20, choices=RELATION_CHOICES, blank=True
    )
    rank = models.CharField(_("rank"), max_length=20, choices=RANK_CHOICES, blank=True)
    former_unit = models.CharField(_("former unit"), max_length=100, blank=True)
    retirement_date = models.DateField(_("retirement date"), null=True, blank=True)
    revolution_date = models.DateField(
        _("joined the revolution"),
        null=True,
        blank=True,
        help_text=_("For 离休 cadres: decides the extra months of living subsidy."),
    )
    political_status = models.CharField(
        _("political status"), max_length=20, choices=POLITICAL_CHOICES, default="masses"
    )
    party_joined = models.DateField(_("joined the party"), null=True, blank=True)

    region = models.ForeignKey(
        "core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region")
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    lives_elsewhere = models.BooleanField(_("lives elsewhere"), default=False)
    elsewhere_city = models.CharField(_("city of residence"), max_length=64, blank=True)
    elsewhere_address = models.CharField(_("address elsewhere"), max_length=200, blank=True)

    phone = EncryptedCharField(_("mobile phone"), blank=True, default="")
    phone_hash = models.CharField(
        max_length=64, blank=True, default="", db_index=True, editable=False
    )
    phone_masked = models.CharField(
        _("mobile phone"), max_length=24, blank=True, default="", editable=False
    )
    landline = EncryptedCharField(_("landline"), blank=True, default="")
    landline_masked = models.CharField(
        _("landline"), max_length=24, blank=True, default="", editable=False
    )

    health_status = models.CharField(
        _("health"), max_length=20, choices=HEALTH_CHOICES, default="good"
    )
    hardship = models.BooleanField(_("in hardship"), default=False)
    hardship_note = models.CharField(_("hardship details"), max_length=200, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, verbose_name=_("classification"))

    life_status = models.CharField(
        _("life status"), max_length=10, choices=LifeStatus.choices, default=LifeStatus.ALIVE
    )
    death_date = models.DateField(_("date of death"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="person",
        verbose_name=_("own account"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    scope_field = "region"
    owner_field = "account"
    branch_scope_field = "party_member__organisation__secretary_user"

    class Meta:
        verbose_name = _("retiree")
        verbose_name_plural = _("retirees")
        ordering = ["name_pinyin", "id"]
        permissions = [
            ("view_sensitive", _("Can see ID numbers and phones unmasked")),
            ("export_person", _("Can export the registry")),
            ("record_death", _("Can record a death")),
            ("manage_tags", _("Can edit the classification tags")),
        ]
        indexes = [
            # The list page: scope range, then keyset on (name_pinyin, id).
            models.Index(fields=["region", "name_pinyin", "id"], name="person_region_sort"),
            models.Index(fields=["name_pinyin", "id"], name="person_sort"),
            models.Index(fields=["birth_date"], name="person_birth"),
            models.Index(fields=["category", "region"], name="person_category"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(life_status="deceased") | Q(death_date__isnull=True),
                name="person_death_date_only_if_deceased",
            ),
            models.CheckConstraint(
                condition=Q(death_date__isnull=True) | Q(death_date__gte=F("birth_date")),
                name="person_death_after_birth",
            ),
            models.CheckConstraint(
                condition=Q(category__in=[c.value for c in Category]),
                name="person_category_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("people:detail", args=[self.pk])

    @property
    def is_party_member(self) -> bool:
        return self.political_status in {"cpc_member", "cpc_probationary"}

    def age_on(self, day: datetime.date) -> int:
        """周岁 — full years on `day`."""
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


class SearchKey(models.Model):
    """One key under which a person is found by prefix search: name characters, pinyin,
    initials (each suffix, each plausible surname reading), and the last 4 digits of ID and
    phones (as '#1234'). A B-tree range on `key` serves every kind of search on both databases.
    """

    # No index of its own: searchkey_unique (person, key) serves every lookup by person.
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="search_keys", db_index=False
    )
    key = models.CharField(max_length=64)
    # The person's name_pinyin, copied: a search sorts its matches on the key index alone
    # and visits only the people of the page (people.views.PersonListView).
    name_pinyin = models.CharField(max_length=128, default="", db_default="", editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["key", "name_pinyin", "person"], name="searchkey_key_name"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["person", "key"], name="searchkey_unique"),
        ]

    def __str__(self) -> str:
        return self.key


class Contact(ScopedModel):
    """家属/紧急联系人 — a family member or emergency contact of a person."""

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("retiree")
    )
    name = models.CharField(_("name"), max_length=64)
    relation = models.CharField(_("relation"), max_length=20, choices=RELATION_CHOICES)
    phone = EncryptedCharField(_("phone"), blank=True, default="")
    phone_masked = models.CharField(
        _("phone"), max_length=24, blank=True, default="", editable=False
    )
    is_emergency = models.BooleanField(_("emergency contact"), default=False)
    address = models.CharField(_("address"), max_length=200, blank=True)

    scope_field = "person__region"
    owner_field = "person__account"

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_emergency", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_relation_display()})"


class LifeEvent(ScopedModel):
    """人生事件 — hospital admission, hardship, bereavement, death: the history of a person."""

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="events", verbose_name=_("retiree")
    )
    kind = models.CharField(_("event"), max_length=20, choices=EventKind.choices)
    date = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    scope_field = "person__region"
    owner_field = "person__account"

    class Meta:
        verbose_name = _("life event")
        verbose_name_plural = _("life events")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["kind", "date"], name="lifeevent_kind_date")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date}"
