"""Care and services (服务管理): visit rules and tasks, visits, pairing, plans, aid, ceremonies."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from hongxia.care.choices import (
    COMMITTED_STATUSES,
    BirthdayCalendar,
    ContactMode,
    Festival,
    LeaderStatus,
    OwnerKind,
    PaymentStatus,
    ProgrammeKind,
    ProgrammeStatus,
    Reckoning,
    TaskStatus,
    Trigger,
)
from hongxia.core.crypto import EncryptedCharField
from hongxia.core.scope import ScopedManagerMixin, ScopedModel, ScopedQuerySet

_REGION = {"on_delete": models.PROTECT, "related_name": "+", "verbose_name": _("region")}


class VisitRule(ScopedModel):
    """走访规则 — 五必访/两定访 as data: trigger, who is covered, window, modes, owner, amount."""

    region = models.ForeignKey("core.Region", **_REGION)  # type: ignore[arg-type]
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    trigger = models.CharField(_("trigger"), max_length=12, choices=Trigger.choices)
    active = models.BooleanField(_("in use"), default=True)
    # event rules
    event_kinds = models.JSONField(_("life events"), default=list, blank=True)
    # festival rules
    festival = models.CharField(_("festival"), max_length=12, choices=Festival.choices, blank=True)
    # fixed solar dates (冬送温暖 in January: month 1, day 15)
    month = models.PositiveSmallIntegerField(_("month"), null=True, blank=True)
    day = models.PositiveSmallIntegerField(_("day"), null=True, blank=True)
    # birthday rules
    milestone_ages = models.JSONField(
        _("ages"),
        default=list,
        blank=True,
        help_text=_("Empty: every age ending in 0 or 5 from the minimum age."),
    )
    reckoning = models.CharField(
        _("age counted in"),
        max_length=8,
        choices=Reckoning.choices,
        blank=True,
        help_text=_("Empty: the site setting."),
    )
    birthday_calendar = models.CharField(
        _("birthday calendar"),
        max_length=8,
        choices=BirthdayCalendar.choices,
        default=BirthdayCalendar.PERSON,
    )
    # periodic rules
    times_per_year = models.PositiveSmallIntegerField(_("times a year"), null=True, blank=True)
    # window: a task opens `days_before` the anchor date and is due `days_after` it
    days_before = models.PositiveSmallIntegerField(_("days before"), default=0)
    days_after = models.PositiveSmallIntegerField(_("days after"), default=0)
    # coverage
    categories = models.JSONField(_("categories"), default=list, blank=True)
    tags = models.JSONField(_("classification tags (all of)"), default=list, blank=True)
    min_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)
    contact_modes = models.JSONField(_("contact modes that count"), default=list, blank=True)
    owner = models.CharField(
        _("owner"), max_length=8, choices=OwnerKind.choices, default=OwnerKind.COUNTY
    )
    owner_elsewhere = models.CharField(
        _("owner for people living elsewhere"),
        max_length=8,
        choices=OwnerKind.choices,
        blank=True,
        help_text=_("Empty: the same owner."),
    )
    amount_schedule = models.JSONField(
        _("amounts (yuan) by occurrence in a year"),
        default=list,
        blank=True,
        help_text=_("e.g. 150, 100, 50: the first stay in a year, the second, then each later."),
    )
    # The money that goes with the visit: the amount above, applied for from this programme
    # (or from the approved programme of the same name and kind for the visit's year that
    # covers the person, so a rule need not be re-linked every year).
    aid_programme = models.ForeignKey(
        "AidProgramme",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("aid programme"),
        help_text=_(
            "With amounts: a visit that satisfies this rule offers an aid application from "
            "this programme (that year's programme of the same name)."
        ),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("visit rule")
        verbose_name_plural = _("visit rules")
        ordering = ["order", "id"]
        permissions = [("manage_rules", _("Can edit visit rules"))]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("care:rule-detail", args=[self.pk])


class Leader(ScopedModel):
    """结对领导 — a serving leader who takes one or more 离休干部 as pairs."""

    region = models.ForeignKey("core.Region", **_REGION)  # type: ignore[arg-type]
    name = models.CharField(_("name"), max_length=64)
    post = models.CharField(_("post"), max_length=100)
    unit = models.CharField(_("unit"), max_length=100)
    phone = EncryptedCharField(_("phone"), blank=True, default="")
    phone_masked = models.CharField(
        _("phone"), max_length=24, blank=True, default="", editable=False
    )
    status = models.CharField(
        _("status"), max_length=8, choices=LeaderStatus.choices, default=LeaderStatus.SERVING
    )
    status_date = models.DateField(_("since"), null=True, blank=True)

    class Meta:
        verbose_name = _("paired leader")
        verbose_name_plural = _("paired leaders")
        ordering = ["region", "name", "id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.post}）"

    def get_absolute_url(self) -> str:
        return reverse("care:leader-detail", args=[self.pk])


class Pairing(ScopedModel):
    """结对 — a serving leader paired one-on-one with a 离休干部."""

    person = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        related_name="pairings",
        verbose_name=_("retiree"),
    )
    leader = models.ForeignKey(
        Leader, on_delete=models.PROTECT, related_name="pairings", verbose_name=_("leader")
    )
    region = models.ForeignKey("core.Region", **_REGION)  # type: ignore[arg-type]
    start = models.DateField(_("from"))
    end = models.DateField(_("until"), null=True, blank=True)
    active = models.BooleanField(_("current"), default=True)

    class Meta:
        verbose_name = _("pairing")
        verbose_name_plural = _("pairings")
        ordering = ["region", "-start", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(active=True), name="care_one_current_pair"
            ),
        ]
        indexes = [models.Index(fields=["leader", "active"], name="care_pair_leader")]

    def __str__(self) -> str:
        return f"{self.person} — {self.leader}"


# A task owned by "the branch" belongs to the person's current party branch (read from the
# party app's membership at query time, so a transfer moves the task with the member).
BRANCH_SECRETARY_PATH = "person__party_member__organisation__secretary_user"
CURRENT_MEMBER_Q = Q(person__party_member__status="active")


class TaskQuerySet(ScopedQuerySet[Any]):
    def visible_to(self, user: Any) -> ScopedQuerySet[Any]:
        qs = super().visible_to(user)
        if getattr(user, "role", None) == "branch_secretary":
            # A secretary's scope is their branch's tasks, not every task of its members.
            qs = qs.filter(CURRENT_MEMBER_Q, owner=OwnerKind.BRANCH)
        return qs

    def with_pk(self, pk: Any) -> TaskQuerySet:
        """The task `pk`: a derived id also names its person, which lets the database find it
        by the person's index instead of deriving every task to compare ids."""
        qs = self.filter(pk=pk)
        if isinstance(pk, str) and pk.isdigit():
            pk = int(pk)
        if isinstance(pk, int) and pk >= DERIVED_ID_BASE:
            qs = qs.filter(person_id=pk % DERIVED_ID_BASE)
        return qs


class TaskManager(ScopedManagerMixin, models.Manager.from_queryset(TaskQuerySet)):  # type: ignore[misc]
    pass


class VisitTask(ScopedModel):
    """走访任务 — one visit a rule asks for: whom, by when, owned by whom."""

    # The planner inserts tens of thousands of these in one statement: every index and
    # per-row foreign-key check is paid for each row, so each one here is needed by a read.
    # Single-column FK indexes are covered by the composite ones below; the region codes are
    # the scope key, copied from the person (whose own FK checks them), so unchecked here.
    rule = models.ForeignKey(
        VisitRule,
        on_delete=models.PROTECT,
        related_name="tasks",
        verbose_name=_("rule"),
        db_index=False,
    )
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("retiree"),
        db_index=False,
    )
    region = models.ForeignKey(
        "core.Region",
        on_delete=models.DO_NOTHING,
        related_name="+",
        verbose_name=_("region"),
        db_index=False,
        db_constraint=False,
    )
    # Which occurrence of the rule: "2026" (a festival), "2026P2-1" (first half), "E123" (event).
    period_key = models.CharField(_("occurrence"), max_length=20)
    opens = models.DateField(_("opens"))
    due = models.DateField(_("due"))
    owner = models.CharField(_("owner"), max_length=8, choices=OwnerKind.choices)
    owner_region = models.ForeignKey(
        "core.Region",
        on_delete=models.DO_NOTHING,
        related_name="+",
        verbose_name=_("owning bureau"),
        db_index=False,
        db_constraint=False,
    )
    owner_leader = models.ForeignKey(
        Leader,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("owning leader"),
        db_index=False,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned to"),
        db_index=False,
    )
    status = models.CharField(
        _("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    visit = models.ForeignKey(
        "Visit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("visit"),
        db_index=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    branch_scope_field = BRANCH_SECRETARY_PATH

    objects = TaskManager()  # type: ignore[misc]  # narrows the scope for secretaries

    class Meta:
        verbose_name = _("visit task")
        verbose_name_plural = _("visit tasks")
        ordering = ["due", "id"]
        constraints = [
            # Planning is idempotent because the database says so, not because the planner
            # is careful.
            models.UniqueConstraint(fields=["rule", "person", "period_key"], name="care_task_once"),
            models.CheckConstraint(
                condition=Q(due__gte=F("opens")), name="care_task_due_after_open"
            ),
        ]
        indexes = [
            # Lists (scope is a region-code range), "mine" and overdue counts all start here.
            models.Index(fields=["region", "status", "due"], name="care_task_region"),
            models.Index(fields=["person", "status"], name="care_task_person"),
            models.Index(
                fields=["owner_leader"],
                condition=Q(owner_leader__isnull=False),
                name="care_task_leader",
            ),
            models.Index(
                fields=["assignee"], condition=Q(assignee__isnull=False), name="care_task_assignee"
            ),
            models.Index(
                fields=["visit"], condition=Q(visit__isnull=False), name="care_task_visit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.rule} · {self.due}"

    def get_absolute_url(self) -> str:
        return reverse("care:task-detail", args=[self.pk])


# Derived tasks carry ids above every stored sequence value: campaign id × 2³² + person id, so
# a derived task keeps its id when it is materialised (stored), and its person is in its id.
DERIVED_ID_BASE = 1 << 32


class VisitCampaign(ScopedModel):
    """走访批次 — one occurrence of a rule that covers everyone alike (a festival, a fixed date,
    a periodic round) in one county: the plan is this row, not one row per person.

    Who it covers is kept as plain columns (the rule's coverage on the planning day), so the
    database view behind `TaskRow` derives each person's task by a join; a person's task is
    stored (`VisitTask`, with the derived id) only when someone acts on it."""

    rule = models.ForeignKey(
        VisitRule, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("rule")
    )
    period_key = models.CharField(_("occurrence"), max_length=20)
    # The county (6-digit code) whose people it covers; the scope key.
    region = models.ForeignKey(
        "core.Region",
        on_delete=models.DO_NOTHING,
        related_name="+",
        verbose_name=_("county"),
        db_constraint=False,
    )
    # People whose region code lies in [lo, hi): the county, or a narrower rule region.
    lo = models.CharField(max_length=12)
    hi = models.CharField(max_length=12)
    opens = models.DateField(_("opens"))
    due = models.DateField(_("due"))
    # The planning day: people who died before it have no task in the campaign.
    planned_on = models.DateField(_("planned on"))
    # People registered from this moment on are not in it: the end of its last day, or when it
    # was planned if that was later (a past day planned now covers today's registry), as if
    # the planner had run on every day of the window.
    admits_until = models.DateTimeField()
    # ",lixiu,tuixiu," or "" for every category.
    categories = models.CharField(max_length=100, blank=True)
    born_after = models.DateField(null=True, blank=True)
    born_by = models.DateField(null=True, blank=True)
    owner = models.CharField(_("owner"), max_length=8, choices=OwnerKind.choices)
    owner_elsewhere = models.CharField(max_length=8, choices=OwnerKind.choices, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("visit campaign")
        verbose_name_plural = _("visit campaigns")
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "period_key", "region"], name="care_campaign_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule} · {self.period_key} · {self.region_id}"


class TaskRow(ScopedModel):
    """A visit task as every page, the API and the reports read it: the stored tasks, and the
    tasks derived from campaigns for the people they cover who have no stored task yet.

    Read-only (a database view, `care.views_sql`); writes go to `VisitTask` through
    `services.materialise`, which stores a derived task under the same id."""

    rule = models.ForeignKey(
        VisitRule, on_delete=models.DO_NOTHING, related_name="+", verbose_name=_("rule")
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.DO_NOTHING, related_name="+", verbose_name=_("retiree")
    )
    region = models.ForeignKey(
        "core.Region", on_delete=models.DO_NOTHING, related_name="+", verbose_name=_("region")
    )
    period_key = models.CharField(_("occurrence"), max_length=20)
    opens = models.DateField(_("opens"))
    due = models.DateField(_("due"))
    owner = models.CharField(_("owner"), max_length=8, choices=OwnerKind.choices)
    owner_region = models.ForeignKey(
        "core.Region",
        on_delete=models.DO_NOTHING,
        related_name="+",
        verbose_name=_("owning bureau"),
    )
    owner_leader = models.ForeignKey(
        Leader,
        on_delete=models.DO_NOTHING,
        null=True,
        related_name="+",
        verbose_name=_("owning leader"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        null=True,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    status = models.CharField(_("status"), max_length=10, choices=TaskStatus.choices)
    visit = models.ForeignKey(
        "Visit", on_delete=models.DO_NOTHING, null=True, related_name="+", verbose_name=_("visit")
    )
    created_at = models.DateTimeField(_("created"))
    # True for a task derived from a campaign and not stored yet.
    derived = models.BooleanField()

    branch_scope_field = BRANCH_SECRETARY_PATH

    objects = TaskManager()  # type: ignore[misc]

    class Meta:
        managed = False
        db_table = "care_taskrow"
        verbose_name = _("visit task")
        verbose_name_plural = _("visit tasks")
        ordering = ["due", "id"]

    def __str__(self) -> str:
        return f"{self.person} · {self.rule} · {self.due}"

    def get_absolute_url(self) -> str:
        return reverse("care:task-detail", args=[self.pk])


class Visit(ScopedModel):
    """走访记录 — who went, when, how, what was said and given, what must follow."""

    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("retiree")
    )
    region = models.ForeignKey("core.Region", **_REGION)  # type: ignore[arg-type]
    date = models.DateField(_("date"))
    mode = models.CharField(_("how"), max_length=10, choices=ContactMode.choices)
    visitors = models.CharField(_("who went"), max_length=200)
    leader = models.ForeignKey(
        Leader,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("leader"),
    )
    notes = models.TextField(_("notes"), blank=True)
    payment = models.ForeignKey(
        "AidPayment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("money given"),
    )
    gifts = models.CharField(_("gifts"), max_length=200, blank=True)
    follow_up = models.CharField(_("follow-up needed"), max_length=200, blank=True)
    follow_up_due = models.DateField(_("follow up by"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    owner_field = "person__account"
    branch_scope_field = BRANCH_SECRETARY_PATH

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["region", "date"], name="care_visit_region_date")]

    def __str__(self) -> str:
        return f"{self.person} {self.date}"

    def get_absolute_url(self) -> str:
        return reverse("care:visit-detail", args=[self.pk])


class ServicePlan(ScopedModel):
    """一人一策 — one version of a person's plan; `current` marks the live one, the rest are
    its history."""

    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("retiree")
    )
    region = models.ForeignKey("core.Region", **_REGION)  # type: ignore[arg-type]
    version = models.PositiveIntegerField(_("version"), default=1)
    current = models.BooleanField(_("current"), default=True)
    needs = models.TextField(_("needs"))
    measures = models.TextField(_("measures"))
    responsible = models.CharField(_("responsible"), max_length=100)
    review_date = models.DateField(_("next review"))
    reviewed_on = models.DateField(_("reviewed on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("written by"),
    )
    created_at = models.DateTimeField(_("written"), auto_now_add=True)

    class Meta:
        verbose_name = _("personal plan")
        verbose_name_plural = _("personal plans")
        ordering = ["review_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(current=True), name="care_one_current_plan"
            ),
            models.UniqueConstraint(fields=["person", "version"], name="care_plan_version"),
        ]

    def __str__(self) -> str:
        return f"{self.person} v{self.version}"

    def get_absolute_url(self) -> str:
        return reverse("care:plan-detail", args=[self.pk])


class AidProgramme(ScopedModel):
    """慰问/帮扶项目 — a budget per year and region, approved before anything is paid from it."""

    region = models.ForeignKey("core.Region", **_REGION)  # type: ignore[arg-type]
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=ProgrammeKind.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    # Money in integer fen: no float ever touches an amount.
    budget_fen = models.BigIntegerField(_("budget (fen)"))
    committed_fen = models.BigIntegerField(_("approved so far (fen)"), default=0, editable=False)
    amount_min_fen = models.BigIntegerField(_("least per person (fen)"))
    amount_max_fen = models.BigIntegerField(_("most per person (fen)"))
    status = models.CharField(
        _("status"), max_length=10, choices=ProgrammeStatus.choices, default=ProgrammeStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)

    class Meta:
        verbose_name = _("aid programme")
        verbose_name_plural = _("aid programmes")
        ordering = ["-year", "region", "id"]
        permissions = [("approve_aidprogramme", _("Can approve aid programmes"))]
        constraints = [
            # The last line of defence against overspending: the database refuses it.
            models.CheckConstraint(
                condition=Q(committed_fen__lte=F("budget_fen")), name="care_programme_within_budget"
            ),
            models.CheckConstraint(condition=Q(committed_fen__gte=0), name="care_committed_nonneg"),
            models.CheckConstraint(
                condition=Q(amount_min_fen__gt=0) & Q(amount_max_fen__gte=F("amount_min_fen")),
                name="care_programme_amount_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("care:programme-detail", args=[self.pk])

    @property
    def remaining_fen(self) -> int:
        return self.budget_fen - self.committed_fen


class AidPayment(ScopedModel):
    """慰问金/帮扶金 — one person's money from a programme: applied, approved by another, paid."""

    programme = models.ForeignKey(
        AidProgramme, on_delete=models.PROTECT, related_name="payments", verbose_name=_("programme")
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("retiree")
    )
    region = models.ForeignKey("core.Region", **_REGION)  # type: ignore[arg-type]
    period = models.CharField(_("period"), max_length=64)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("applied by"),
    )
    applied_at = models.DateTimeField(_("applied"), auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("paid by"),
    )
    voucher = models.CharField(_("voucher number"), max_length=40, blank=True)
    # The visit task this money goes with (a rule's amount schedule), if any.
    task = models.ForeignKey(
        VisitTask,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("visit task"),
    )

    owner_field = "person__account"

    class Meta:
        verbose_name = _("aid payment")
        verbose_name_plural = _("aid payments")
        ordering = ["-applied_at", "-id"]
        permissions = [
            ("approve_aidpayment", _("Can approve aid")),
            ("pay_aidpayment", _("Can record aid as paid")),
            ("export_aidpayment", _("Can export the aid ledger")),
        ]
        constraints = [
            # Nobody is paid twice from one programme in one period.
            models.UniqueConstraint(
                fields=["programme", "person", "period"],
                condition=Q(status__in=COMMITTED_STATUSES),
                name="care_paid_once_per_period",
            ),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="care_payment_positive"),
            # No self-approval, enforced below the application too.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("applied_by")),
                name="care_no_self_approval",
            ),
        ]
        indexes = [
            models.Index(fields=["region", "status"], name="care_pay_region"),
            models.Index(fields=["programme", "status"], name="care_pay_programme"),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.amount_fen / 100:.2f}"

    def get_absolute_url(self) -> str:
        return reverse("care:payment-detail", args=[self.pk])


class Ceremony(ScopedModel):
    """荣誉退休仪式 — a ceremony with date, place and unit; its honorees follow the 九个一 list."""

    region = models.ForeignKey("core.Region", **_REGION)  # type: ignore[arg-type]
    date = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=100)
    unit = models.CharField(_("unit"), max_length=100)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("honorary retirement ceremony")
        verbose_name_plural = _("honorary retirement ceremonies")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.date} {self.unit}"

    def get_absolute_url(self) -> str:
        return reverse("care:ceremony-detail", args=[self.pk])


class Honoree(ScopedModel):
    """荣誉退休人员 — one retiree honoured at a ceremony, with their 九个一 checklist."""

    ceremony = models.ForeignKey(
        Ceremony, on_delete=models.CASCADE, related_name="honorees", verbose_name=_("ceremony")
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("retiree")
    )
    region = models.ForeignKey("core.Region", **_REGION)  # type: ignore[arg-type]
    checklist = models.JSONField(_("checklist"), default=dict, blank=True)

    owner_field = "person__account"

    class Meta:
        verbose_name = _("honoree")
        verbose_name_plural = _("honorees")
        ordering = ["ceremony", "id"]
        constraints = [
            models.UniqueConstraint(fields=["ceremony", "person"], name="care_honoree_once"),
        ]

    def __str__(self) -> str:
        return str(self.person)
