"""Shapes of the API's bodies. Input serializers check types and shapes only; every rule of the
registry (ID check digit, dates, duplicates, region scope) is the services' to enforce."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from hongxia.core.models import Region, User
from hongxia.people.choices import (
    ETHNICITY_CHOICES,
    HEALTH_CHOICES,
    POLITICAL_CHOICES,
    RANK_CHOICES,
    RELATION_CHOICES,
    Category,
    Gender,
)
from hongxia.people.models import Contact, Person

MAX_PAGE_SIZE = 200
SENSITIVE_FIELDS = ("id_number", "phone", "landline")


def _unmask(serializer: serializers.Field, obj: Any) -> bool:
    """The view decides per row whether the caller sees real values (and logs that they did)."""
    rule: Callable[[Any], bool] | None = serializer.context.get("unmask")
    return bool(rule and rule(obj))


class ContactSerializer(serializers.ModelSerializer):
    # A plain string in the document: an enum here would give the relation choices a second
    # name beside the person's survivor_relation (drf-spectacular warns).
    relation = serializers.CharField(read_only=True)
    relation_display = serializers.CharField(source="get_relation_display", read_only=True)
    phone = serializers.SerializerMethodField()

    class Meta:
        model = Contact
        fields = ["id", "name", "relation", "relation_display", "phone", "is_emergency", "address"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_phone(self, obj: Contact) -> str:
        return obj.phone if _unmask(self, obj.person) else obj.phone_masked


class PersonSerializer(serializers.ModelSerializer):
    """A person as the API shows them; ID number and phones masked unless the caller may see
    them (`people.view_sensitive`)."""

    gender_display = serializers.CharField(source="get_gender_display", read_only=True)
    category_display = serializers.CharField(source="get_category_display", read_only=True)
    life_status_display = serializers.CharField(source="get_life_status_display", read_only=True)
    id_number = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    landline = serializers.SerializerMethodField()
    region = serializers.CharField(source="region_id", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    survivor_of = serializers.IntegerField(source="survivor_of_id", read_only=True, allow_null=True)
    tags: Any = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    contacts = ContactSerializer(many=True, read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Person
        fields = [
            "id",
            "url",
            "name",
            "name_pinyin",
            "gender",
            "gender_display",
            "ethnicity",
            "id_number",
            "birth_date",
            "lunar_birthday",
            "category",
            "category_display",
            "survivor_of",
            "survivor_relation",
            "rank",
            "former_unit",
            "retirement_date",
            "revolution_date",
            "political_status",
            "party_joined",
            "region",
            "region_name",
            "address",
            "lives_elsewhere",
            "elsewhere_city",
            "elsewhere_address",
            "phone",
            "landline",
            "health_status",
            "hardship",
            "hardship_note",
            "tags",
            "life_status",
            "life_status_display",
            "death_date",
            "contacts",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_id_number(self, obj: Person) -> str:
        return obj.id_number if _unmask(self, obj) else obj.id_masked

    @extend_schema_field(OpenApiTypes.STR)
    def get_phone(self, obj: Person) -> str:
        return obj.phone if _unmask(self, obj) else obj.phone_masked

    @extend_schema_field(OpenApiTypes.STR)
    def get_landline(self, obj: Person) -> str:
        return obj.landline if _unmask(self, obj) else obj.landline_masked

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, obj: Person) -> str:
        request = self.context.get("request")
        return reverse("api:person-detail", kwargs={"pk": obj.pk}, request=request)


class PersonPageSerializer(serializers.Serializer):
    results = PersonSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text=_("The next page, or null."))
    previous = serializers.URLField(allow_null=True, help_text=_("The previous page, or null."))
    count = serializers.IntegerField(help_text=_("Rows matching the filters, up to the cap."))
    count_capped = serializers.BooleanField(
        help_text=_("True when more rows match than were counted.")
    )


class PersonWriteSerializer(serializers.Serializer):
    """The body of POST, PUT and PATCH. `region` is a region code the caller may pick, `tags` a
    list of tag codes, `survivor_of` the id of a deceased cadre the caller can see (not a
    survivor, and recorded as deceased)."""

    name = serializers.CharField()
    gender = serializers.ChoiceField(
        choices=Gender.choices,
        required=False,
        allow_blank=True,
        help_text=_("Taken from the ID number when left empty."),
    )
    ethnicity = serializers.ChoiceField(choices=ETHNICITY_CHOICES, required=False)
    id_number = serializers.CharField(required=False, allow_blank=True)
    birth_date = serializers.DateField(
        required=False,
        help_text=_("Taken from the ID number when left out."),
    )
    lunar_birthday = serializers.BooleanField(required=False)
    category = serializers.ChoiceField(choices=Category.choices)
    survivor_of = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    survivor_relation = serializers.ChoiceField(
        choices=RELATION_CHOICES, required=False, allow_blank=True
    )
    rank = serializers.ChoiceField(choices=RANK_CHOICES, required=False, allow_blank=True)
    former_unit = serializers.CharField(required=False, allow_blank=True)
    retirement_date = serializers.DateField(required=False, allow_null=True)
    revolution_date = serializers.DateField(required=False, allow_null=True)
    political_status = serializers.ChoiceField(choices=POLITICAL_CHOICES, required=False)
    party_joined = serializers.DateField(required=False, allow_null=True)
    region = serializers.CharField(help_text=_("A region code, e.g. 431202."))
    address = serializers.CharField(required=False, allow_blank=True)
    lives_elsewhere = serializers.BooleanField(required=False)
    elsewhere_city = serializers.CharField(required=False, allow_blank=True)
    elsewhere_address = serializers.CharField(required=False, allow_blank=True)
    phone = serializers.CharField(required=False, allow_blank=True)
    landline = serializers.CharField(required=False, allow_blank=True)
    health_status = serializers.ChoiceField(choices=HEALTH_CHOICES, required=False)
    hardship = serializers.BooleanField(required=False)
    hardship_note = serializers.CharField(required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    tags = serializers.ListField(
        child=serializers.CharField(), required=False, help_text=_("Classification tag codes.")
    )


class DeathSerializer(serializers.Serializer):
    date = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class RevealQuerySerializer(serializers.Serializer):
    field = serializers.ChoiceField(choices=SENSITIVE_FIELDS)


class RevealSerializer(serializers.Serializer):
    field = serializers.CharField()
    value = serializers.CharField()


class ListQuerySerializer(serializers.Serializer):
    cursor = serializers.CharField(required=False, allow_blank=True)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE)

    def page_size_or_default(self) -> int:
        return int(self.validated_data.get("page_size") or settings.HONGXIA_PAGE_SIZE)


class RegionSerializer(serializers.ModelSerializer):
    parent = serializers.CharField(  # type: ignore[assignment]
        source="parent_id", read_only=True, allow_null=True
    )

    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent"]
        read_only_fields = fields


class MeSerializer(serializers.ModelSerializer):
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    region = serializers.CharField(source="region_id", read_only=True, allow_null=True)
    region_name = serializers.CharField(source="region.name", read_only=True, default=None)
    permissions = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "full_name",
            "role",
            "role_display",
            "region",
            "region_name",
            "permissions",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_permissions(self, obj: User) -> list[str]:
        from hongxia.core.auth import role_permissions

        candidates = set(role_permissions().get(obj.role, frozenset())) | obj.get_all_permissions()
        return sorted(p for p in candidates if obj.has_perm(p))


class ErrorSerializer(serializers.Serializer):
    """Every error answer: one sentence, and the problems of each field when there are any."""

    message = serializers.CharField()
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=_('Messages by field name; "non_field_errors" for the body as a whole.'),
    )
