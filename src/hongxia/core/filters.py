from __future__ import annotations

import datetime
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from hongxia.core.models import AuditLog


class AuditFilter(django_filters.FilterSet):
    """Audit trail by person, user, action and date."""

    person = django_filters.NumberFilter(field_name="person_id", label=_("Person id"))
    user = django_filters.CharFilter(field_name="actor_name", label=_("User name"))
    action = django_filters.ChoiceFilter(choices=AuditLog.Action.choices, label=_("Action"))
    date_from = django_filters.DateFilter(method="filter_from", label=_("From"))
    date_to = django_filters.DateFilter(method="filter_to", label=_("To"))

    class Meta:
        model = AuditLog
        fields = ["person", "user", "action", "date_from", "date_to"]

    def filter_from(self, qs: QuerySet[Any], name: str, value: datetime.date) -> QuerySet[Any]:
        return qs.filter(at__date__gte=value)

    def filter_to(self, qs: QuerySet[Any], name: str, value: datetime.date) -> QuerySet[Any]:
        return qs.filter(at__date__lte=value)
