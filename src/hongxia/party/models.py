"""Party building (党建) among retirees: organisations, members, meetings, ratings, homes."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hongxia.core.crypto import EncryptedCharField
from hongxia.core.scope import ScopedManagerMixin, ScopedModel, ScopedQuerySet, scope_q
from hongxia.party.choices import (
    Attendance,
    Basis,
    CommitteeRole,
    EndReason,
    MeetingKind,
    MemberStatus,
    OrgKind,
    Per,
    RatingLevel,
    ReorgKind,
    RequestStatus,
)


class Organisation(ScopedModel):
    """党组织 — a 党委, 党总支, 党支部, 党小组 or 临时党组织; never deleted, ended by a date."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=OrgKind.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
        verbose_name=_("parent organisation"),
    )
    region = models.ForeignKey(
        "core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region")
    )
    basis = models.CharField(_("organised by"), max_length=20, choices=Basis.choices,
                             default=Basis.UNIT)
    basis_note = models.CharField(
        _("unit, community or place"), max_length=100, blank=True,
        help_text=_("The former unit, the residence community, or where the members live."),
    )
    founded_on = models.DateField(_("founding date"), null=True, blank=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True,
                                help_text=_("Required for a temporary organisation."))
    secretary = models.ForeignKey(
        "people.Person", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("secretary"),
    )
    secretary_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="party_organisations", verbose_name=_("secretary's account"),
    )
    term_ends = models.DateField(_("committee term ends"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    scope_field = "region"
    owner_field = None
    branch_scope_field = "secretary_user"

    class Meta:
        verbose_name = _("party organisation")
        verbose_name_plural = _("party organisations")
        ordering = ["region", "name", "id"]
        permissions = [("export_party", _("Can export party records"))]
        indexes = [
            models.Index(fields=["region", "name", "id"], name="party_org_region_sort"),
            models.Index(fields=["kind", "end_date"], name="party_org_kind"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="party_org_end_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(kind="temporary") | Q(end_date__isnull=False),
                name="party_org_temporary_has_end",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("party:org-detail", args=[self.pk])


class CommitteeSeat(ScopedModel):
    """支部委员 — a seat on an organisation's committee, with its term."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="committee", verbose_name=_("organisation"))
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("member"))
    role = models.CharField(_("role"), max_length=20, choices=CommitteeRole.choices)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"), null=True, blank=True)

    scope_field = "organisation__region"
    branch_scope_field = "organisation__secretary_user"

    class Meta:
        verbose_name = _("committee seat")
        verbose_name_plural = _("committee seats")
        ordering = ["organisation", "role", "id"]

    def __str__(self) -> str:
        return f"{self.organisation} {self.get_role_display()}"


class Reorganisation(ScopedModel):
    """组织调整 — a merge, split, move or dissolution; the organisations themselves are kept."""

    kind = models.CharField(_("change"), max_length=20, choices=ReorgKind.choices)
    date = models.DateField(_("date"))
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="reorganisations",
                                     verbose_name=_("organisation"))
    old_parent = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+", verbose_name=_("former parent"))
    new_parent = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+", verbose_name=_("new parent"))
    into = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+", verbose_name=_("merged into / split into"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    scope_field = "organisation__region"
    branch_scope_field = "organisation__secretary_user"

    class Meta:
        verbose_name = _("reorganisation")
        verbose_name_plural = _("reorganisations")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.organisation} {self.date}"


class Member(ScopedModel):
    """党员 — a retiree's party standing: the current (or last) branch and group, 流动党员
    details, and the end of membership. The joining date is the registry's
    `Person.party_joined`; branch history is in `Transfer`."""

    person = models.OneToOneField("people.Person", on_delete=models.PROTECT,
                                  related_name="party_member", verbose_name=_("retiree"))
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="members", verbose_name=_("branch"))
    group = models.ForeignKey(Organisation, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="group_members", verbose_name=_("party group"))
    since = models.DateField(_("in this branch since"))
    status = models.CharField(_("status"), max_length=10, choices=MemberStatus.choices,
                              default=MemberStatus.ACTIVE)
    end_date = models.DateField(_("membership ended"), null=True, blank=True)
    end_reason = models.CharField(_("reason"), max_length=20, choices=EndReason.choices,
                                  blank=True)
    is_flowing = models.BooleanField(_("flowing member (流动党员)"), default=False)
    flowing_place = models.CharField(_("living at"), max_length=100, blank=True)
    flowing_since = models.DateField(_("away since"), null=True, blank=True)
    flowing_contact = EncryptedCharField(_("contact phone"), blank=True, default="")
    flowing_contact_masked = models.CharField(_("contact phone"), max_length=24, blank=True,
                                              default="", editable=False)
    has_activity_card = models.BooleanField(_("carries an activity card (活动证)"),
                                            default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    scope_field = "organisation__region"
    owner_field = "person__account"
    branch_scope_field = "organisation__secretary_user"

    class Meta:
        verbose_name = _("party member")
        verbose_name_plural = _("party members")
        ordering = ["organisation", "id"]
        indexes = [
            models.Index(fields=["organisation", "status"], name="party_member_org"),
            models.Index(fields=["status", "is_flowing"], name="party_member_flowing"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="active", end_date__isnull=True)
                | Q(status="ended", end_date__isnull=False),
                name="party_member_end_date_iff_ended",
            ),
        ]

    def __str__(self) -> str:
        return str(self.person)

    def get_absolute_url(self) -> str:
        return reverse("party:member-detail", args=[self.pk])


class Transfer(ScopedModel):
    """组织关系转接 — a member moved from one branch to another; the history of branches."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="transfers",
                               verbose_name=_("member"))
    from_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                          related_name="transfers_out",
                                          verbose_name=pgettext_lazy("transfer", "from"))
    to_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                        related_name="transfers_in",
                                        verbose_name=pgettext_lazy("transfer", "to"))
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("recorded by"))

    scope_field = "to_organisation__region"
    branch_scope_field = "to_organisation__secretary_user"

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["date"], name="party_transfer_date")]

    def __str__(self) -> str:
        return f"{self.member} {self.from_organisation} → {self.to_organisation}"


class Rating(ScopedModel):
    """示范党支部 — a provincial or municipal demonstration rating for one year."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="ratings", verbose_name=_("branch"))
    year = models.PositiveSmallIntegerField(_("year"))
    level = models.CharField(_("level"), max_length=20, choices=RatingLevel.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)

    scope_field = "organisation__region"
    branch_scope_field = "organisation__secretary_user"

    class Meta:
        verbose_name = _("demonstration rating")
        verbose_name_plural = _("demonstration ratings")
        ordering = ["-year", "level", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "year", "level"],
                                    name="party_rating_once_a_year"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.get_level_display()} {self.organisation}"


class PartyHome(ScopedModel):
    """美在金秋 老党员之家 — a retiree party members' home and what it covers."""

    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("region"))
    opened_on = models.DateField(_("opened"), null=True, blank=True)
    branches = models.ManyToManyField(Organisation, blank=True, related_name="homes",
                                      verbose_name=_("branches covered"))
    communities = models.ManyToManyField("core.Region", blank=True, related_name="+",
                                         verbose_name=_("communities covered"))

    scope_field = "region"

    class Meta:
        verbose_name = _("party members' home")
        verbose_name_plural = _("party members' homes")
        ordering = ["region", "name", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("party:home-detail", args=[self.pk])


class MeetingRequirement(models.Model):
    """How often an organisation of a kind must hold a kind of meeting (DOMAIN.md defaults,
    relaxed here by an administrator, e.g. for frail retiree branches)."""

    org_kind = models.CharField(_("organisation kind"), max_length=20, choices=OrgKind.choices)
    meeting_kind = models.CharField(_("meeting"), max_length=20, choices=MeetingKind.choices)
    times = models.PositiveSmallIntegerField(_("times"), default=1)
    per = models.CharField(_("per"), max_length=10, choices=Per.choices)
    active = models.BooleanField(_("in force"), default=True)

    class Meta:
        verbose_name = _("meeting requirement")
        verbose_name_plural = _("meeting requirements")
        ordering = ["org_kind", "meeting_kind"]
        constraints = [
            models.UniqueConstraint(fields=["org_kind", "meeting_kind"],
                                    name="party_requirement_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_org_kind_display()} {self.get_meeting_kind_display()}"


class Meeting(ScopedModel):
    """组织生活 — one meeting of an organisation: 三会一课, 主题党日, the four micros, ..."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="meetings", verbose_name=_("organisation"))
    kind = models.CharField(_("kind"), max_length=20, choices=MeetingKind.choices)
    date = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=100, blank=True)
    topic = models.CharField(_("topic"), max_length=200)
    speaker = models.CharField(_("speaker"), max_length=64, blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("recorded by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    scope_field = "organisation__region"
    branch_scope_field = "organisation__secretary_user"

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["organisation", "kind", "date"], name="party_meeting_org"),
            models.Index(fields=["date", "id"], name="party_meeting_date"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.topic}"

    def get_absolute_url(self) -> str:
        return reverse("party:meeting-detail", args=[self.pk])


class MeetingAttachment(ScopedModel):
    """A file kept with a meeting's minutes (photos, sign-in sheet)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attachments",
                                verbose_name=_("meeting"))
    file = models.FileField(_("file"), upload_to="party/meetings/%Y/%m/")
    name = models.CharField(_("name"), max_length=200)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True, null=True)

    scope_field = "meeting__organisation__region"
    branch_scope_field = "meeting__organisation__secretary_user"

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class MeetingAttendance(ScopedModel):
    """出席 — one member at one meeting: present, absent with a reason, excused for health,
    or served at home (送学上门, which counts as taking part)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance",
                                verbose_name=_("meeting"))
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="attendance",
                               verbose_name=_("member"))
    status = models.CharField(_("attendance"), max_length=20, choices=Attendance.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    # The meeting's date, copied: "who took part in a period" is then one index range per
    # member instead of a join through every meeting (the compliance overview needs it).
    date = models.DateField(_("date"), editable=False)

    scope_field = "meeting__organisation__region"
    branch_scope_field = "meeting__organisation__secretary_user"

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"],
                                    name="party_attendance_once"),
        ]
        indexes = [models.Index(fields=["member", "date", "status"],
                                name="party_attendance_member")]

    def __str__(self) -> str:
        return f"{self.member} {self.get_status_display()}"


class Participation(ScopedModel):
    """临时党组织成员 — a member taking part in a temporary organisation. Their formal
    membership (counts, dues, transfers) stays with the home branch (`Member.organisation`);
    the temporary organisation has its own participant list and meetings."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="participations",
                                     verbose_name=_("temporary organisation"))
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="participations",
                               verbose_name=_("member"))
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    scope_field = "organisation__region"
    branch_scope_field = "organisation__secretary_user"

    class Meta:
        verbose_name = _("participant of a temporary organisation")
        verbose_name_plural = _("participants of temporary organisations")
        ordering = ["organisation", "member", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "member"],
                                    condition=Q(end_date__isnull=True),
                                    name="party_participation_once"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="party_participation_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} @ {self.organisation}"


class _Side:
    """The sending or the receiving side of a transfer request, as `scope_q` reads a model."""

    owner_field = None

    def __init__(self, side: str) -> None:
        self.scope_field = f"{side}__region"
        self.branch_scope_field = f"{side}__secretary_user"


class TransferRequestQuerySet(ScopedQuerySet["TransferRequest"]):
    def visible_to(self, user: Any) -> TransferRequestQuerySet:
        """Both counties see a request between them: the sender to follow it, the receiver to
        accept or decline it. Neither sees the other's members through it (only the one
        member named in the request)."""
        sending = scope_q(_Side("from_organisation"), user)  # type: ignore[arg-type]
        receiving = scope_q(_Side("to_organisation"), user)  # type: ignore[arg-type]
        if sending is None or receiving is None:
            return self
        return self.filter(sending | receiving)


class TransferRequestManager(
    ScopedManagerMixin, models.Manager.from_queryset(TransferRequestQuerySet)  # type: ignore[misc]
):
    pass


class TransferRequest(ScopedModel):
    """跨县转接 — a member's transfer to a branch in another county: sent by the member's
    county, accepted or declined by the receiving county. The member moves (and the counts
    with them) only on acceptance; the request stays as history either way."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE,
                               related_name="transfer_requests", verbose_name=_("member"))
    from_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                          related_name="+",
                                          verbose_name=pgettext_lazy("transfer", "from"))
    to_organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                        related_name="+",
                                        verbose_name=pgettext_lazy("transfer", "to"))
    date = models.DateField(_("requested on"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=RequestStatus.choices,
                              default=RequestStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+",
                                     verbose_name=_("requested by"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("decided by"))
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decision_note = models.CharField(_("note on the decision"), max_length=200, blank=True)
    transfer = models.OneToOneField(Transfer, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="request", verbose_name=_("transfer"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    scope_field = "from_organisation__region"
    branch_scope_field = "from_organisation__secretary_user"

    objects = TransferRequestManager()  # type: ignore[misc]  # both sides see a request

    class Meta:
        verbose_name = _("transfer request")
        verbose_name_plural = _("transfer requests")
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["member"], condition=Q(status="pending"),
                                    name="party_transfer_request_one_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.from_organisation} → {self.to_organisation}"

    def get_absolute_url(self) -> str:
        return reverse("party:request-detail", args=[self.pk])
