"""Shape and type checks only; the rules live in party.services. Every choice is narrowed to
what the user may pick (their own region, or a secretary's own branch)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from hongxia.core.forms import ModelMultipleChoiceField
from hongxia.core.models import Region, User
from hongxia.party.choices import (
    BRANCH_KINDS,
    HOME_KINDS,
    Attendance,
    CommitteeRole,
    EndReason,
    OrgKind,
    Per,
    RatingLevel,
    ReorgKind,
)
from hongxia.party.models import Meeting, MeetingRequirement, Organisation, PartyHome
from hongxia.party.selectors import organisation_choices
from hongxia.people.forms import RegionField, scoped_regions
from hongxia.people.models import Person


def _choice(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    return cast(forms.ModelChoiceField, form.fields[name])


DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class OrganisationForm(forms.ModelForm):
    region = RegionField(queryset=Region.objects.none(), label=_("Region"))

    class Meta:
        model = Organisation
        fields = ["name", "kind", "parent", "region", "basis", "basis_note", "founded_on",
                  "start_date", "end_date", "secretary", "secretary_user", "term_ends", "notes"]
        widgets = {"founded_on": DATE, "start_date": DATE, "end_date": DATE, "term_ends": DATE,
                   "notes": forms.Textarea(attrs={"rows": 3}),
                   "secretary": forms.NumberInput()}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "region").queryset = scoped_regions(user)
        parents = Organisation.objects.visible_to(user).filter(end_date__isnull=True)
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        _choice(self, "parent").queryset = parents
        _choice(self, "secretary").queryset = Person.objects.visible_to(user)
        self.fields["secretary"].help_text = _("Record number of the secretary in the registry.")
        _choice(self, "secretary_user").queryset = User.objects.filter(
            role="branch_secretary", is_active=True)

    def _post_clean(self) -> None:
        pass  # the service validates the instance


class ReorganiseForm(forms.Form):
    kind = forms.ChoiceField(label=_("Change"), choices=ReorgKind.choices)
    date = forms.DateField(label=_("Date"), widget=DATE)
    new_parent = forms.ModelChoiceField(label=_("New parent"), required=False,
                                        queryset=Organisation.objects.none())
    into = forms.ModelChoiceField(label=_("Merge into"), required=False,
                                  queryset=Organisation.objects.none())
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = Organisation.objects.visible_to(user).filter(end_date__isnull=True)
        _choice(self, "new_parent").queryset = current
        _choice(self, "into").queryset = current.filter(kind__in=BRANCH_KINDS)


class CommitteeSeatForm(forms.Form):
    person = forms.ModelChoiceField(label=_("Member (record number)"),
                                    queryset=Person.objects.none(), widget=forms.NumberInput)
    role = forms.ChoiceField(label=_("Role"), choices=CommitteeRole.choices)
    start_date = forms.DateField(label=_("From"), widget=DATE)
    end_date = forms.DateField(label=_("Until"), widget=DATE, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "person").queryset = Person.objects.visible_to(user)


class RatingForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=1990, max_value=2100)
    level = forms.ChoiceField(label=_("Level"), choices=RatingLevel.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=200)


class MemberCreateForm(forms.Form):
    person = forms.ModelChoiceField(
        label=_("Retiree (record number)"), queryset=Person.objects.none(),
        widget=forms.NumberInput, help_text=_("A party member in the registry."))
    organisation = forms.ModelChoiceField(label=_("Branch"), queryset=Organisation.objects.none())
    since = forms.DateField(label=_("In this branch since"), widget=DATE)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "person").queryset = Person.objects.visible_to(user)
        _choice(self, "organisation").queryset = organisation_choices(user=user,
                                                                        kinds=HOME_KINDS)


class FlowingForm(forms.Form):
    group = forms.ModelChoiceField(label=_("Party group"), required=False,
                                   queryset=Organisation.objects.none())
    is_flowing = forms.BooleanField(label=_("Flowing member (流动党员)"), required=False)
    place = forms.CharField(label=_("Living at"), required=False, max_length=100)
    since = forms.DateField(label=_("Away since"), required=False, widget=DATE)
    contact = forms.CharField(label=_("Contact phone"), required=False, max_length=20,
                              widget=forms.TextInput(attrs={"type": "tel"}))
    has_activity_card = forms.BooleanField(label=_("Carries an activity card (活动证)"),
                                           required=False)

    def __init__(self, *args: Any, user: Any, branch: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "group").queryset = Organisation.objects.visible_to(user).filter(
            parent=branch, kind=OrgKind.GROUP)


class TransferForm(forms.Form):
    to_organisation = forms.ModelChoiceField(label=_("To branch"),
                                             queryset=Organisation.objects.none())
    date = forms.DateField(label=_("Date"), widget=DATE)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=200)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "to_organisation").queryset = organisation_choices(user=user,
                                                                           kinds=HOME_KINDS)


class TransferRequestForm(forms.Form):
    """Send a member to a branch in another county. The branch is picked from a search
    (services.transfer_targets), so the field accepts any current branch; it is never
    rendered as a list of every branch."""

    to_organisation = forms.ModelChoiceField(
        label=_("To branch"), widget=forms.HiddenInput,
        queryset=Organisation.objects.filter(kind__in=HOME_KINDS, end_date__isnull=True),
        error_messages={"required": _("Choose the receiving branch from the search results."),
                        "invalid_choice": _("Choose a current branch from the search "
                                            "results.")})
    date = forms.DateField(label=_("Date"), widget=DATE)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=200)


class DecisionForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=200)


class ParticipantForm(forms.Form):
    person = forms.ModelChoiceField(label=_("Member (record number)"),
                                    queryset=Person.objects.none(), widget=forms.NumberInput)
    start_date = forms.DateField(label=_("From"), widget=DATE)
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "person").queryset = Person.objects.visible_to(user)


class ParticipantEndForm(forms.Form):
    date = forms.DateField(label=_("Until"), widget=DATE)


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"), error_messages={
        "required": _("Choose a file."), "empty": _("The file is empty.")})


class EndForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DATE)
    reason = forms.ChoiceField(label=_("Reason"), choices=EndReason.choices)


class MeetingForm(forms.ModelForm):
    class Meta:
        model = Meeting
        fields = ["organisation", "kind", "date", "place", "topic", "speaker", "minutes"]
        widgets = {"date": DATE, "minutes": forms.Textarea(attrs={"rows": 6})}

    attachment = forms.FileField(label=_("Attachment"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "organisation").queryset = organisation_choices(
            user=user, kinds=[*BRANCH_KINDS, OrgKind.GROUP])
        if self.instance.pk:
            # The marks are about the organisation's members: it is fixed once recorded.
            self.fields["organisation"].disabled = True
            _choice(self, "organisation").queryset = Organisation.objects.filter(
                pk=self.instance.organisation_id)
            del self.fields["attachment"]

    def _post_clean(self) -> None:
        pass


ATTENDANCE_CHOICES = [("", "—"), *Attendance.choices]


class HomeForm(forms.ModelForm):
    region = RegionField(queryset=Region.objects.none(), label=_("Region"))
    communities = ModelMultipleChoiceField(
        label=_("Communities covered"), required=False, queryset=Region.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 8}))
    branches = ModelMultipleChoiceField(
        label=_("Branches covered"), required=False, queryset=Organisation.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 8}))

    class Meta:
        model = PartyHome
        fields = ["name", "address", "region", "opened_on"]
        widgets = {"opened_on": DATE}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        regions = scoped_regions(user)
        _choice(self, "region").queryset = regions
        _choice(self, "communities").queryset = regions.filter(level="community")
        _choice(self, "branches").queryset = organisation_choices(user=user)

    def _post_clean(self) -> None:
        pass


class RequirementForm(forms.Form):
    # Hidden: sent by the row's own form, so a bad one means a stale or altered page.
    requirement = forms.ModelChoiceField(
        queryset=MeetingRequirement.objects.all(), widget=forms.HiddenInput,
        label=_("Required frequency"),
        error_messages={"required": _("Which one was not sent; reload the page."),
                        "invalid_choice": _("It no longer exists; reload the page.")})
    times = forms.IntegerField(label=_("Times"), min_value=0, max_value=31)
    per = forms.ChoiceField(label=_("Per"), choices=Per.choices)
    active = forms.BooleanField(label=_("In force"), required=False)
