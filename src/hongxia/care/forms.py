"""Care forms: shape and type checks; rules live in services. Choices narrowed to the user."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hongxia.care.choices import (
    HONOUR_CHECKLIST,
    ContactMode,
    LeaderStatus,
    OwnerKind,
    ProgrammeKind,
)
from hongxia.care.imports import read_rows
from hongxia.care.models import AidProgramme, Ceremony, Leader, VisitRule
from hongxia.people.choices import Category, EventKind, Gender
from hongxia.people.forms import DATE, RegionField, scoped_regions
from hongxia.people.models import Tag


def _regions(user: Any) -> Any:
    from hongxia.core.models import Region

    prefix = getattr(user, "scope_prefix", None)
    qs = Region.objects.filter(level__in=["city", "county"])
    if prefix is None:
        return qs.none()
    return qs.filter(code__startswith=prefix) if prefix else qs


class VisitForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DATE)
    mode = forms.ChoiceField(label=_("How"), choices=ContactMode.choices)
    visitors = forms.CharField(label=_("Who went"), max_length=200)
    leader = forms.ModelChoiceField(
        label=_("Leader"), queryset=Leader.objects.none(), required=False
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    gifts = forms.CharField(label=_("Gifts"), required=False, max_length=200)
    payment = forms.IntegerField(
        label=_("Aid payment number"),
        required=False,
        help_text=_("The money given on this visit, if any."),
    )
    follow_up = forms.CharField(label=_("Follow-up needed"), required=False, max_length=200)
    follow_up_due = forms.DateField(label=_("Follow up by"), required=False, widget=DATE)

    aid_tasks = forms.TypedMultipleChoiceField(
        label=_("Apply for the money that goes with it"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Another user approves each application before it is paid."),
    )

    def __init__(self, *args: Any, user: Any, offers: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["leader"].queryset = Leader.objects.visible_to(user)  # type: ignore[attr-defined]
        choices = [
            (
                o.task.pk,
                _("%(rule)s: %(amount)s yuan from %(programme)s (%(period)s)")
                % {
                    "rule": o.task.rule.name,
                    "amount": f"{Decimal(o.amount_fen) / 100:,.2f}",
                    "programme": str(o.programme),
                    "period": o.period,
                },
            )
            for o in offers
            if o.programme is not None and o.amount_fen
        ]
        if choices:
            self.fields["aid_tasks"].choices = choices  # type: ignore[attr-defined]
            self.fields["aid_tasks"].initial = [c[0] for c in choices]
        else:
            del self.fields["aid_tasks"]

    def service_data(self) -> dict[str, Any]:
        from hongxia.care.models import AidPayment

        data = dict(self.cleaned_data)
        pid = data.pop("payment", None)
        data["payment"] = (
            AidPayment.objects.visible_to(self.user).filter(pk=pid).first() if pid else None
        )
        return data


class LeaderForm(forms.Form):
    region = forms.ModelChoiceField(label=_("Region"), queryset=Leader.objects.none())
    name = forms.CharField(label=_("Name"), max_length=64)
    post = forms.CharField(label=_("Post"), max_length=100)
    unit = forms.CharField(label=_("Unit"), max_length=100)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel"}),
    )
    status = forms.ChoiceField(label=_("Status"), choices=LeaderStatus.choices)
    status_date = forms.DateField(label=_("Since"), required=False, widget=DATE)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = _regions(user)  # type: ignore[attr-defined]


class HandoverForm(forms.Form):
    new = forms.ModelChoiceField(label=_("Hand over to"), queryset=Leader.objects.none())

    def __init__(self, *args: Any, user: Any, exclude: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new"].queryset = (  # type: ignore[attr-defined]
            Leader.objects.visible_to(user).filter(status=LeaderStatus.SERVING).exclude(pk=exclude)
        )


class PairingForm(forms.Form):
    leader = forms.ModelChoiceField(label=_("Leader"), queryset=Leader.objects.none())
    start = forms.DateField(label=_("From"), widget=DATE, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = Leader.objects.visible_to(user).filter(  # type: ignore[attr-defined]
            status=LeaderStatus.SERVING
        )


class PlanForm(forms.Form):
    needs = forms.CharField(label=_("Needs"), widget=forms.Textarea(attrs={"rows": 3}))
    measures = forms.CharField(label=_("Measures"), widget=forms.Textarea(attrs={"rows": 3}))
    responsible = forms.CharField(label=_("Responsible"), max_length=100)
    review_date = forms.DateField(label=_("Next review"), widget=DATE)


class ProgrammeForm(forms.Form):
    region = forms.ModelChoiceField(label=_("Region"), queryset=AidProgramme.objects.none())
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=ProgrammeKind.choices)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    budget = forms.DecimalField(label=_("Budget (yuan)"), min_value=0, decimal_places=2)
    amount_min = forms.DecimalField(
        label=_("Least per person (yuan)"), min_value=0, decimal_places=2
    )
    amount_max = forms.DecimalField(
        label=_("Most per person (yuan)"), min_value=0, decimal_places=2
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = _regions(user)  # type: ignore[attr-defined]

    def service_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "region": d["region"],
            "name": d["name"],
            "kind": d["kind"],
            "year": d["year"],
            "budget_fen": int(d["budget"] * 100),
            "amount_min_fen": int(d["amount_min"] * 100),
            "amount_max_fen": int(d["amount_max"] * 100),
        }


class ApplyForm(forms.Form):
    person = forms.IntegerField(label=_("Record number"))
    amount = forms.DecimalField(label=_("Amount (yuan)"), min_value=0, decimal_places=2)
    period = forms.CharField(
        label=pgettext_lazy("aid payment", "Period"),
        max_length=20,
        help_text=_("e.g. 2026 or 2026春节: one payment per person per period."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("List (.xlsx or .csv)"), help_text=_("Columns: 编号 or 身份证号, 金额, 事由.")
    )
    period = forms.CharField(label=pgettext_lazy("aid payment", "Period"), max_length=20)
    rows: list[dict[str, str]]

    def clean_file(self) -> Any:
        """The whole list is read here, so a file that cannot be read is this field's error
        and nothing is applied for; `rows` holds what was read."""
        upload = self.cleaned_data["file"]
        self.rows = list(read_rows(upload.name, upload))
        return upload


class PayForm(forms.Form):
    paid_on = forms.DateField(label=_("Paid on"), widget=DATE, required=False)
    voucher = forms.CharField(label=_("Voucher number"), max_length=40, required=False)


class CeremonyForm(forms.Form):
    region = forms.ModelChoiceField(label=_("Region"), queryset=Ceremony.objects.none())
    date = forms.DateField(label=_("Date"), widget=DATE)
    place = forms.CharField(label=_("Place"), max_length=100)
    unit = forms.CharField(label=_("Unit"), max_length=100)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = _regions(user)  # type: ignore[attr-defined]


class HonoreeForm(forms.Form):
    """An honoree by record number, or a new person entered into the registry."""

    person = forms.IntegerField(label=_("Record number"), required=False)
    name = forms.CharField(label=_("Name"), max_length=64, required=False)
    id_number = forms.CharField(label=_("ID number"), max_length=40, required=False)
    gender = forms.ChoiceField(
        label=_("Gender"), choices=[("", "—"), *Gender.choices], required=False
    )
    region = RegionField(label=_("Region"), queryset=Leader.objects.none(), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = scoped_regions(user)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("person") and not (data.get("name") and data.get("id_number")):
            raise forms.ValidationError(_("Give a record number, or a name and ID number."))
        return data


class ChecklistForm(forms.Form):
    # Sent by the item's own button: a bad one means a stale or altered page.
    item = forms.ChoiceField(
        choices=HONOUR_CHECKLIST, label=_("Checklist"),
        error_messages={"required": _("Which item was not sent; reload the page."),
                        "invalid_choice": _("No such checklist item.")})
    done = forms.BooleanField(required=False)


def _multi(choices: Any, label: Any) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label, choices=choices, required=False, widget=forms.CheckboxSelectMultiple
    )


class RuleForm(forms.ModelForm):
    event_kinds = _multi(EventKind.choices, _("Life events"))
    categories = _multi(Category.choices, _("Categories"))
    contact_modes = _multi(ContactMode.choices, _("Contact modes that count"))
    tags = forms.MultipleChoiceField(
        label=_("Classification tags (all of)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[],
    )
    milestone_ages = forms.CharField(
        label=_("Ages"),
        required=False,
        help_text=_("Comma-separated, e.g. 59,69,79; empty: 逢五逢十."),
    )
    amount_schedule = forms.CharField(
        label=_("Amounts (yuan) by occurrence in a year"),
        required=False,
        help_text=_("e.g. 150,100,50"),
    )
    owner = forms.ChoiceField(label=_("Owner"), choices=OwnerKind.choices)

    class Meta:
        model = VisitRule
        fields = [
            "region",
            "code",
            "name",
            "trigger",
            "active",
            "event_kinds",
            "festival",
            "month",
            "day",
            "milestone_ages",
            "reckoning",
            "birthday_calendar",
            "times_per_year",
            "days_before",
            "days_after",
            "categories",
            "tags",
            "min_age",
            "max_age",
            "contact_modes",
            "owner",
            "owner_elsewhere",
            "amount_schedule",
            "aid_programme",
            "order",
        ]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = _regions(user)  # type: ignore[attr-defined]
        self.fields["aid_programme"].queryset = AidProgramme.objects.visible_to(user)  # type: ignore[attr-defined]
        self.fields["tags"].choices = [(t.code, str(t)) for t in Tag.objects.filter(active=True)]  # type: ignore[attr-defined]
        for name in ("milestone_ages", "amount_schedule"):
            value = self.initial.get(name)
            if isinstance(value, list):
                self.initial[name] = ",".join(str(v) for v in value)

    def _ints(self, name: str) -> list[int]:
        raw = self.cleaned_data.get(name) or ""
        try:
            return [int(p) for p in raw.replace("，", ",").split(",") if p.strip()]
        except ValueError as exc:
            raise forms.ValidationError(_("Whole numbers separated by commas.")) from exc

    def clean_milestone_ages(self) -> list[int]:
        return self._ints("milestone_ages")

    def clean_amount_schedule(self) -> list[int]:
        return self._ints("amount_schedule")

    def _post_clean(self) -> None:
        pass  # the service validates

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)
