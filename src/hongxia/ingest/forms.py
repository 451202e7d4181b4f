"""Forms of the ingest pages; region choices narrowed to what the user may pick."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from hongxia.ingest import services
from hongxia.ingest.choices import JobStatus, MergeStatus
from hongxia.ingest.models import ImportJob, MergeCandidate
from hongxia.people.models import Person
from hongxia.people.selectors import region_choices, search_q


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Roster file"),
        help_text=_(".xlsx, .xls, .ods or .csv (UTF-8, GBK, GB18030 or UTF-16)."),
    )
    region = forms.ChoiceField(
        label=_("Region for rows without one"),
        required=False,
        choices=[],
    )
    sheet = forms.CharField(
        label=_("Sheet"),
        required=False,
        max_length=100,
        help_text=_("Leave empty for the first sheet."),
    )
    all_or_nothing = forms.BooleanField(
        label=_("All or nothing"),
        required=False,
        help_text=_("Import nothing if any row has an error."),
    )
    mapping = forms.FileField(
        label=_("Column mapping"),
        required=False,
        help_text=_(
            'For an unusual sheet: a JSON file {"header": "field"}, as hongxia import roster '
            "--mapping takes."
        ),
    )

    def clean_mapping(self) -> dict[str, str]:
        upload = self.cleaned_data.get("mapping")
        if not upload:
            return {}
        return mapping_from_upload(upload)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (r.code, r.name)
            # A person's region is a county or below, as on the registry form.
            for r in region_choices(user=user).exclude(level="city").only("code", "name")
        ]


MAPPING_MAX_BYTES = 100_000


def mapping_from_upload(upload: Any) -> dict[str, str]:
    """An uploaded mapping file (page and API alike) → {header text: field}."""
    if (upload.size or 0) > MAPPING_MAX_BYTES:
        raise forms.ValidationError(_("A mapping file is a few lines of JSON, not a roster."))
    try:
        return services.parse_mapping(upload.read().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise forms.ValidationError(_("The mapping file must be UTF-8 text.")) from exc
    except ValueError as exc:
        raise forms.ValidationError(str(exc)) from exc


class MergeDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[
            (MergeStatus.MERGED, _("Same person: update the record from the row")),
            (MergeStatus.SEPARATE, _("Register as a new person")),
            (MergeStatus.DISMISSED, _("Same person: drop the row")),
        ]
    )


class ImportJobFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="filename", lookup_expr="icontains", label=_("File"))
    status = django_filters.ChoiceFilter(choices=JobStatus.choices, label=_("Status"))

    class Meta:
        model = ImportJob
        fields = ["q", "status"]

    def __init__(self, *args: Any, request: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, request=request, **kwargs)


class MergeCandidateFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q",
        label=_("Search"),
        help_text=_("Name, pinyin, initials, or the last 4 digits of the ID or phone."),
    )
    status = django_filters.ChoiceFilter(choices=MergeStatus.choices, label=_("Status"))

    class Meta:
        model = MergeCandidate
        fields = ["q", "status"]

    def filter_q(self, qs: QuerySet[MergeCandidate], name: str, value: str) -> Any:
        """The row's name as written, or the registered person it looks like, found the way
        the registry's search finds people."""
        q = search_q(value)
        if q is None:
            return qs
        return qs.filter(
            Q(name__contains=value.strip()) | Q(person__in=Person.objects.filter(q).values("pk"))
        )
