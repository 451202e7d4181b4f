from __future__ import annotations

from typing import Any

from django import forms
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hongxia.core import masking
from hongxia.core.forms import ModelMultipleChoiceField
from hongxia.core.models import Region
from hongxia.people.models import Contact, Person, Tag


def region_label_map() -> dict[str, str]:
    """code → "县 · 镇 · 社区" labels, built once per process and cached."""
    labels = cache.get("hongxia:region-labels")
    if labels is None:
        rows = list(Region.objects.values_list("code", "name", "parent_id"))
        names = {code: name for code, name, _p in rows}
        parents = {code: parent for code, _n, parent in rows}
        labels = {}
        for code, name, _p in rows:
            path, cur = [name], parents.get(code)
            while cur and len(cur) > 4 and len(path) < 3:
                path.append(names[cur])
                cur = parents.get(cur)
            labels[code] = " · ".join(reversed(path))
        cache.set("hongxia:region-labels", labels, 3600)
    return labels


class RegionField(forms.ModelChoiceField):
    _labels: dict[str, str] | None = None

    def label_from_instance(self, obj: Any) -> str:
        # Read the labels once per form, not once per option: each cache read unpickles the
        # whole map, and a city-wide select has some 900 options.
        if self._labels is None:
            self._labels = region_label_map()
        return self._labels.get(obj.code, obj.name)


def scoped_regions(user: Any) -> Any:
    prefix = getattr(user, "scope_prefix", None)
    qs = Region.objects.exclude(level__in=["province", "city"])
    if prefix is None:
        return qs.none()
    return qs.filter(code__startswith=prefix) if prefix else qs


DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PersonForm(forms.ModelForm):
    """Shape and type checks only; the rules (ID, dates, scope) live in people.services."""

    region = RegionField(queryset=Region.objects.none(), label=_("Region"))
    id_number = forms.CharField(
        label=_("ID number"),
        required=False,
        max_length=40,
        help_text=_("18 characters; an old 15-digit number is upgraded automatically."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        required=False,
        max_length=masking.PHONE_LENGTH,
        widget=forms.TextInput(attrs={"type": "tel"}),
    )
    landline = forms.CharField(
        label=_("Landline"),
        required=False,
        max_length=masking.PHONE_LENGTH,
        widget=forms.TextInput(attrs={"type": "tel"}),
    )
    tags = ModelMultipleChoiceField(
        queryset=Tag.objects.filter(active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Classification"),
    )
    birth_date = forms.DateField(
        label=_("Birth date"),
        widget=DATE,
        required=False,
        help_text=_("Filled from the ID number when left empty."),
    )

    class Meta:
        model = Person
        fields = [
            "name",
            "gender",
            "ethnicity",
            "id_number",
            "birth_date",
            "lunar_birthday",
            "category",
            "survivor_of",
            "survivor_relation",
            "rank",
            "former_unit",
            "retirement_date",
            "revolution_date",
            "political_status",
            "party_joined",
            "region",
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
            "notes",
        ]
        widgets = {
            "retirement_date": DATE,
            "revolution_date": DATE,
            "party_joined": DATE,
            "notes": forms.Textarea(attrs={"rows": 3}),
            "survivor_of": forms.NumberInput(),
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["region"].queryset = scoped_regions(user)  # type: ignore[attr-defined]
        self.fields["survivor_of"].queryset = Person.objects.visible_to(user)  # type: ignore[attr-defined]
        self.fields["survivor_of"].help_text = _("Record number of the deceased cadre.")
        self.fields["gender"].required = False
        self.fields["gender"].help_text = _("Filled from the ID number when left empty.")
        if not user.has_perm("people.view_sensitive"):
            # A clerk who may not see numbers may still correct them, but never sees the
            # stored value: the field starts empty and is kept unless something is typed.
            for name in ("id_number", "phone", "landline"):
                self.fields[name].initial = ""
                if self.instance.pk:
                    self.initial[name] = ""
                    self.fields[name].help_text = _(
                        "Stored as %(masked)s. Leave empty to keep it."
                    ) % {"masked": getattr(self.instance, f"{name}_masked", "") or "—"}

    def _post_clean(self) -> None:
        # The service validates the instance (with derived fields); skip ModelForm's copy.
        pass

    def clean(self) -> dict[str, Any]:
        """Run the registry's own rules on what was entered, so every problem shows at once
        (an ID check digit is reported even while another field is still missing)."""
        from django.core.exceptions import ValidationError

        from hongxia.people import services

        data = super().clean() or {}
        trial = Person(
            **{
                k: v
                for k, v in self.service_data().items()
                if k in services.EDITABLE_FIELDS and k != "region"
            }
        )
        if self.instance.pk:
            trial.pk = self.instance.pk
            for name in ("id_number", "phone", "landline"):
                if name not in self.service_data():
                    setattr(trial, name, getattr(self.instance, name))
        problems: dict[str, list[str]] = {}
        try:
            services.apply_derived(trial)
        except ValidationError as exc:
            problems = exc.message_dict
        if trial.survivor_of_id != self.instance.survivor_of_id:
            problems = {**services.survivor_link_errors(trial), **problems}
        for field, messages in problems.items():
            if field in self.fields and field not in self.errors:
                for message in messages:
                    self.add_error(field, message)
        return data

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("tags", None)
        if self.instance.pk and not self.user.has_perm("people.view_sensitive"):
            for name in ("id_number", "phone", "landline"):
                if not data.get(name):
                    data.pop(name, None)
        return data


class DeathForm(forms.Form):
    date = forms.DateField(label=_("Date of death"), widget=DATE)
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def clean_date(self) -> Any:
        value = self.cleaned_data["date"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("The date of death is in the future."))
        return value


class ContactForm(forms.ModelForm):
    phone = forms.CharField(
        label=_("Phone"),
        required=False,
        max_length=masking.PHONE_LENGTH,
        widget=forms.TextInput(attrs={"type": "tel"}),
    )

    class Meta:
        model = Contact
        fields = ["name", "relation", "phone", "is_emergency", "address"]


class TagForm(forms.ModelForm):
    class Meta:
        model = Tag
        fields = ["code", "name", "name_en", "active"]
