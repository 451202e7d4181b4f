from __future__ import annotations

import datetime
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from hongxia.core.models import AuditLog


class AuditFilter(django_filters.FilterSet):
    """Audit trail by person (searched or by id), user, action and date."""

    q = django_filters.CharFilter(
        method="filter_q",
        label=_("Person"),
        help_text=_("Name, pinyin, initials, or the last 4 digits of ID or phone"),
    )
    person = django_filters.NumberFilter(field_name="person_id", label=_("Person id"))
    user = django_filters.CharFilter(field_name="actor_name", label=_("User name"))
    action = django_filters.ChoiceFilter(choices=AuditLog.Action.choices, label=_("Action"))
    date_from = django_filters.DateFilter(method="filter_from", label=_("From"))
    date_to = django_filters.DateFilter(method="filter_to", label=_("To"))

    class Meta:
        model = AuditLog
        fields = ["q", "person", "user", "action", "date_from", "date_to"]

    def filter_q(self, qs: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        """Entries about the people the registry's search box finds: name characters, pinyin,
        initials, last 4 digits of ID or phone, or a whole ID or phone number."""
        # Imported here: the foundation's modules load before the registry's.
        from hongxia.people.models import Person
        from hongxia.people.selectors import search_q

        q = search_q(value)
        if q is None:
            return qs
        return qs.filter(person_id__in=Person.objects.filter(q).values("pk"))

    def filter_from(self, qs: QuerySet[Any], name: str, value: datetime.date) -> QuerySet[Any]:
        return qs.filter(at__date__gte=value)

    def filter_to(self, qs: QuerySet[Any], name: str, value: datetime.date) -> QuerySet[Any]:
        return qs.filter(at__date__lte=value)
