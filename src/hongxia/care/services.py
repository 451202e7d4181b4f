"""Every write of care and services: keyword-only, `actor` required, atomic, validated, audited."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import (
    Case,
    CharField,
    DateField,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat, Length, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from hongxia.care import rules
from hongxia.care.choices import (
    COMMITTED_STATUSES,
    LeaderStatus,
    OwnerKind,
    PaymentStatus,
    ProgrammeKind,
    ProgrammeStatus,
    TaskStatus,
    Trigger,
)
from hongxia.care.models import (
    AidPayment,
    AidProgramme,
    Ceremony,
    Honoree,
    Leader,
    Pairing,
    ServicePlan,
    TaskRow,
    Visit,
    VisitCampaign,
    VisitRule,
    VisitTask,
)
from hongxia.core import audit, masking
from hongxia.core.models import AuditLog, Region
from hongxia.core.pinyin import prefix_upper_bound
from hongxia.core.regions import prefix_of
from hongxia.core.scope import is_visible
from hongxia.people.choices import Category, EventKind, LifeStatus
from hongxia.people.models import LifeEvent, Person

DEATH_EVENTS = {EventKind.DEATH}


def _need(actor: Any, perm: str, obj: Any = None) -> None:
    if actor is None or not actor.has_perm(perm):
        raise PermissionDenied
    if obj is not None and not is_visible(obj, actor):
        raise PermissionDenied


def _created(obj: Any, actor: Any, note: str = "") -> None:
    audit.record_change(
        obj, AuditLog.Action.CREATE, after=audit.snapshot(obj), actor=actor, note=note
    )


def _prefix_q(field: str, prefix: str) -> Q:
    if not prefix:
        return Q()
    q = Q(**{f"{field}__gte": prefix})
    upper = prefix_upper_bound(prefix)
    return q & Q(**{f"{field}__lt": upper}) if upper else q


def _region_prefix(code: str | None) -> str:
    if not code:
        return ""
    return code if len(code) == 12 else prefix_of(code)


# ---------------------------------------------------------------------------------------------
# Planning


def reckoning_of(rule: VisitRule) -> str:
    from django.conf import settings

    return rule.reckoning or settings.HONGXIA_AGE_RECKONING


def coverage_q(rule: VisitRule, day: datetime.date) -> Q:
    """Who a rule covers, as a filter on Person (category, tags, age on `day`, region)."""
    from hongxia.people.models import Person as P

    q = _prefix_q("region_id", _region_prefix(rule.region_id))
    if rule.categories:
        q &= Q(category__in=list(rule.categories))
    for code in rule.tags or []:
        q &= Q(Exists(P.tags.through.objects.filter(person_id=OuterRef("pk"), tag__code=code)))
    if rule.min_age is not None:
        q &= Q(birth_date__lte=rules.years_before(day, rule.min_age))
    if rule.max_age is not None:
        q &= Q(birth_date__gt=rules.years_before(day, rule.max_age + 1))
    return q


def _owner_exprs(rule: VisitRule, person_path: str = "") -> dict[str, Any]:
    """Owner kind, owning bureau and owning leader of a task, as SQL expressions."""
    p = person_path
    county = Substr(f"{p}region_id", 1, 6)
    city = Concat(Substr(f"{p}region_id", 1, 4), Value("00"), output_field=CharField())

    def bureau(kind: str) -> Any:
        return city if kind == OwnerKind.CITY else county

    elsewhere = rule.owner_elsewhere or rule.owner
    leader = Subquery(
        Pairing.objects.filter(
            person_id=OuterRef(f"{p}pk" if not p else f"{p}id"), active=True
        ).values("leader_id")[:1]
    )
    if elsewhere == rule.owner:
        kind: Any = Value(rule.owner)
        region: Any = bureau(rule.owner)
        uses_leader = rule.owner == OwnerKind.LEADER
    else:
        kind = Case(
            When(**{f"{p}lives_elsewhere": True}, then=Value(elsewhere)),
            default=Value(rule.owner),
            output_field=CharField(),
        )
        region = Case(
            When(**{f"{p}lives_elsewhere": True}, then=bureau(elsewhere)),
            default=bureau(rule.owner),
            output_field=CharField(),
        )
        uses_leader = OwnerKind.LEADER in (rule.owner, elsewhere)
    return {
        "c_owner": kind,
        "c_owner_region": region,
        "c_owner_leader": leader if uses_leader else Value(None, output_field=IntegerField()),
    }


_TASK_COLUMNS = [
    "rule_id",
    "person_id",
    "region_id",
    "period_key",
    "opens",
    "due",
    "owner",
    "owner_region_id",
    "owner_leader_id",
    "status",
    "created_at",
]


def _insert_select(columns: list[str], values: QuerySet[Any]) -> int:
    """INSERT INTO care_visittask (columns) SELECT ...: one statement, however many rows.
    `values` is a values_list() in `columns` order; the constraints drop repeats."""
    sql, params = values.order_by().query.sql_with_params()
    quote = connection.ops.quote_name
    cols = ", ".join(quote(c) for c in columns)
    statement = (
        f"INSERT INTO {quote(VisitTask._meta.db_table)} ({cols}) {sql} ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return max(cursor.rowcount, 0)


def _insert_tasks(qs: QuerySet[Any]) -> int:
    """Store the tasks `qs` describes: it annotates c_* columns in _TASK_COLUMNS order."""
    aliases = [
        "c_rule",
        "c_person",
        "c_region",
        "c_key",
        "c_opens",
        "c_due",
        "c_owner",
        "c_owner_region",
        "c_owner_leader",
        "c_status",
        "c_created",
    ]
    return _insert_select(_TASK_COLUMNS, qs.values_list(*aliases))


# A derived task is stored under its own id.
_STORED_COLUMNS = ["id", *_TASK_COLUMNS]


def materialise(rows: QuerySet[TaskRow]) -> int:
    """Store the derived tasks among `rows` (a `TaskRow` queryset), each under its own id, so
    they can be taken, closed and linked like any stored task. Idempotent and safe against a
    concurrent call (the primary key and the once-per-occurrence constraint drop repeats)."""
    return _insert_select(_STORED_COLUMNS, rows.filter(derived=True).values_list(*_STORED_COLUMNS))


def stored(task: TaskRow | VisitTask, *, lock: bool = False) -> VisitTask:
    """The stored task behind `task`, storing it first if it is derived."""
    if isinstance(task, VisitTask) and not lock:
        return task
    if getattr(task, "derived", False):
        materialise(TaskRow.objects.with_pk(task.pk))
    qs = VisitTask.objects.all()
    if lock:
        qs = qs.select_for_update(of=("self",))
    return qs.get(pk=task.pk)


def _annotated(
    qs: QuerySet[Any], rule: VisitRule, *, key: Any, opens: Any, due: Any, person_path: str = ""
) -> QuerySet[Any]:
    p = person_path
    now = timezone.now()
    return (
        qs.annotate(
            c_rule=Value(rule.pk, output_field=IntegerField()),
            c_person=F(f"{p}id") if p else F("id"),
            c_region=F(f"{p}region_id"),
            c_key=key,
            c_opens=opens,
            c_due=due,
        )
        .annotate(**_owner_exprs(rule, p))
        .annotate(
            c_status=Value(TaskStatus.OPEN, output_field=CharField()),
            c_created=Value(now, output_field=DateTimeField()),
        )
    )


def _date(value: datetime.date) -> Value:
    return Value(value, output_field=DateField())


def _not_planned(rule: VisitRule, key: Any, person_ref: str = "pk") -> Exists:
    return Exists(
        VisitTask.objects.filter(rule_id=rule.pk, person_id=OuterRef(person_ref), period_key=key)
    )


def _people_base(region_prefix: str) -> QuerySet[Person]:
    return Person.objects.filter(
        _prefix_q("region_id", region_prefix), life_status=LifeStatus.ALIVE
    )


def _plan_rule(rule: VisitRule, day: datetime.date, region_prefix: str) -> int:
    if rule.trigger == Trigger.EVENT:
        return _plan_events(rule, day, region_prefix)
    if rule.trigger == Trigger.BIRTHDAY:
        return _plan_birthdays(rule, day, region_prefix)
    occ = occasion_of(rule, day)
    if occ is None:
        return 0
    if not rule.tags and len(region_prefix) <= 6:
        return _plan_campaigns(rule, occ, day, region_prefix)
    # Tags (a join per person) or a scope finer than a county: one stored task per person.
    qs = (
        _people_base(region_prefix)
        .filter(coverage_q(rule, day))
        .exclude(_not_planned(rule, occ.key))
    )
    return _insert_tasks(
        _annotated(
            qs,
            rule,
            key=Value(occ.key, output_field=CharField()),
            opens=_date(occ.opens),
            due=_date(occ.due),
        )
    )


def occasion_of(rule: VisitRule, day: datetime.date) -> rules.Occasion | None:
    """The occurrence of a festival, fixed-date or periodic rule whose window holds `day`."""
    if rule.trigger == Trigger.FESTIVAL:
        return rules.festival_occasion(
            rule.festival, day, days_before=rule.days_before, days_after=rule.days_after
        )
    if rule.trigger == Trigger.SOLAR_DATE:
        return rules.fixed_date_occasion(
            rule.month or 1,
            rule.day or 1,
            day,
            days_before=rule.days_before,
            days_after=rule.days_after,
        )
    if rule.trigger == Trigger.PERIODIC:
        return rules.periodic_occasion(rule.times_per_year or 1, day)
    return None


def _plan_campaigns(rule: VisitRule, occ: rules.Occasion, day: datetime.date, prefix: str) -> int:
    """One campaign per county for a rule that covers everyone alike: planning writes a row
    per county, whatever the number of people; their tasks are derived (`TaskRow`). Returns
    how many tasks the new campaigns hold."""
    rule_prefix = _region_prefix(rule.region_id)
    if prefix.startswith(rule_prefix):
        within = prefix
    elif rule_prefix.startswith(prefix):
        within = rule_prefix
    else:
        return 0
    if len(within) > 6:  # a rule for one town: its county's campaign covers only that town
        ranges = {within[:6]: within}
    else:
        ranges = {
            code: code
            for code in Region.objects.filter(code__startswith=within)
            .annotate(n=Length("code"))
            .filter(n=6)
            .values_list("code", flat=True)
        }
    have = set(
        VisitCampaign.objects.filter(
            rule=rule, period_key=occ.key, region_id__in=list(ranges)
        ).values_list("region_id", flat=True)
    )
    new = {county: lo for county, lo in ranges.items() if county not in have}
    if not new:
        return 0
    cats = list(rule.categories or [])
    closes = timezone.make_aware(
        datetime.datetime.combine(occ.due + datetime.timedelta(days=1), datetime.time.min)
    )
    VisitCampaign.objects.bulk_create(
        [
            VisitCampaign(
                rule=rule,
                period_key=occ.key,
                region_id=county,
                lo=lo,
                hi=prefix_upper_bound(lo) or "~",
                opens=occ.opens,
                due=occ.due,
                planned_on=day,
                admits_until=max(closes, timezone.now()),
                categories=f",{','.join(cats)}," if cats else "",
                born_by=(
                    rules.years_before(day, rule.min_age) if rule.min_age is not None else None
                ),
                born_after=(
                    rules.years_before(day, rule.max_age + 1) if rule.max_age is not None else None
                ),
                owner=rule.owner,
                owner_elsewhere=rule.owner_elsewhere,
            )
            for county, lo in new.items()
        ],
        ignore_conflicts=True,  # a concurrent run made it: its people are covered either way
    )
    # How many tasks the new campaigns hold: the people the view derives for them, counted from
    # the same coverage on the people table (cheaper than deriving the rows; the two are held
    # equal by tests/care/test_care_campaigns.py).
    picked = _prefix_q("region_id", within)
    if len(new) < len(ranges):
        picked = Q()
        for lo in new.values():
            picked |= _prefix_q("region_id", lo)
    return (
        _people_base("")
        .filter(picked, coverage_q(rule, day))
        .exclude(_not_planned(rule, occ.key))
        .count()
    )


def _plan_events(rule: VisitRule, day: datetime.date, region_prefix: str) -> int:
    """Events recorded (or imported) in the last `days_after` days that have no task yet."""
    since = day - datetime.timedelta(days=max(rule.days_after, 1))
    covered = Person.objects.filter(coverage_q(rule, day))
    alive_needed = not (set(rule.event_kinds) & DEATH_EVENTS)
    if alive_needed:
        covered = covered.filter(life_status=LifeStatus.ALIVE)
    qs = LifeEvent.objects.filter(
        kind__in=list(rule.event_kinds),
        date__gte=since,
        date__lte=day,
        person__in=covered.filter(_prefix_q("region_id", region_prefix)).values("id"),
    ).exclude(
        Exists(
            VisitTask.objects.filter(
                rule_id=rule.pk,
                person_id=OuterRef("person_id"),
                period_key=Concat(
                    Value("E"), Cast(OuterRef("id"), CharField()), output_field=CharField()
                ),
            )
        )
    )
    # Events are a handful a day: one small insert each keeps the owner logic in one place.
    return sum(_task_for_event(rule, ev) for ev in qs.select_related("person"))


def _task_for_event(rule: VisitRule, event: LifeEvent) -> int:
    person = event.person
    occ = rules.event_occasion(event.pk, event.date, days_after=rule.days_after)
    owner, owner_region, leader = _owner_of(rule, person)
    _, made = VisitTask.objects.get_or_create(
        rule=rule,
        person=person,
        period_key=occ.key,
        defaults={
            "region_id": person.region_id,
            "opens": occ.opens,
            "due": occ.due,
            "owner": owner,
            "owner_region_id": owner_region,
            "owner_leader_id": leader,
        },
    )
    return int(made)


def _owner_of(rule: VisitRule, person: Person) -> tuple[str, str, int | None]:
    kind = (rule.owner_elsewhere or rule.owner) if person.lives_elsewhere else rule.owner
    code = str(person.region_id)
    region = code[:4] + "00" if kind == OwnerKind.CITY else code[:6]
    leader = None
    if kind == OwnerKind.LEADER:
        leader = (
            Pairing.objects.filter(person=person, active=True)
            .values_list("leader_id", flat=True)
            .first()
        )
    return kind, region, leader


def birthday_dates(
    rule: VisitRule, window: tuple[datetime.date, datetime.date], *, lunar: bool
) -> dict[datetime.date, list[tuple[datetime.date, int]]]:
    """Every solar birth date with a milestone birthday (date, age) of `rule` inside `window`.

    Whether a birthday is a milestone in the window depends on the birth date alone, so the
    lunar arithmetic runs once per candidate date (hundreds), never once per person."""
    reckoning = reckoning_of(rule)
    ages = list(rule.milestone_ages) or list(range(max(rule.min_age or 5, 5), 121, 5))
    births = rules.birth_candidates(window, lunar=lunar, reckoning=reckoning, ages=ages)
    out: dict[datetime.date, list[tuple[datetime.date, int]]] = {}
    # In date order, so the lunar conversions stay within one lunar year at a time.
    for birth in sorted(births):
        found = rules.birthday_occasions(
            birth,
            window,
            lunar=lunar,
            reckoning=reckoning,
            ages=rule.milestone_ages,
            min_age=rule.min_age,
        )
        if found:
            out[birth] = found
    return out


def birthday_people(
    rule: VisitRule, day: datetime.date, region_prefix: str
) -> list[tuple[QuerySet[Person], dict[datetime.date, tuple[datetime.date, int]]]]:
    """The people due a milestone-birthday visit from `day` (the window is the coming
    `days_before` days), as querysets filtered in SQL by exact birth dates, each with the
    birthday (date, age) of every birth date it holds."""
    window = (day, day + datetime.timedelta(days=rule.days_before))
    calendars = {"solar": [False], "lunar": [True]}.get(rule.birthday_calendar, [False, True])
    # Ages are judged at the window's end: someone turning 70 next week is covered today.
    base = _people_base(region_prefix).filter(coverage_q(rule, window[1]))
    out = []
    for lunar in calendars:
        dates = birthday_dates(rule, window, lunar=lunar)
        # A window longer than a year can hold two birthdays of one birth date: one pass each.
        for n in range(max((len(v) for v in dates.values()), default=0)):
            nth = {birth: found[n] for birth, found in dates.items() if len(found) > n}
            births = sorted(nth)
            for i in range(0, len(births), _BIRTH_CHUNK):
                chunk = {b: nth[b] for b in births[i : i + _BIRTH_CHUNK]}
                qs = base.filter(birth_date__in=list(chunk))
                if rule.birthday_calendar == "person":
                    qs = qs.filter(lunar_birthday=lunar)
                out.append((qs, chunk))
    return out


# Birth dates per statement: keeps the CASE lists well inside SQLite's parameter limit.
_BIRTH_CHUNK = 300


def _by_birth(chunk: dict[datetime.date, Any], field: Any) -> Case:
    return Case(
        *(When(birth_date=birth, then=Value(value)) for birth, value in chunk.items()),
        output_field=field,
    )


def _plan_birthdays(rule: VisitRule, day: datetime.date, region_prefix: str) -> int:
    """Milestone birthdays whose window has opened: exact birth dates from the pure rules, then
    one INSERT ... SELECT per batch of dates, the occasion picked per birth date in SQL."""
    made = 0
    before, after = (
        datetime.timedelta(days=rule.days_before),
        datetime.timedelta(days=rule.days_after),
    )
    for qs, chunk in birthday_people(rule, day, region_prefix):
        made += _insert_tasks(
            _annotated(
                qs,
                rule,
                key=_by_birth({b: f"A{age}" for b, (_w, age) in chunk.items()}, CharField()),
                opens=_by_birth({b: w - before for b, (w, _a) in chunk.items()}, DateField()),
                due=_by_birth({b: w + after for b, (w, _a) in chunk.items()}, DateField()),
            )
        )
    return made


def tasks_plan_for_day(
    *, actor: Any, day: datetime.date, region: str | None = None
) -> dict[str, int]:
    """Create every visit task due on `day` for everyone in scope; running it again creates
    nothing (a unique constraint on rule, person and occurrence). `actor` None is the scheduler."""
    prefix = _region_prefix(region)
    if actor is not None:
        _need(actor, "care.add_visittask")
        scope = actor.scope_prefix
        if scope is None:
            raise PermissionDenied
        if scope and not prefix.startswith(scope):
            if prefix and not scope.startswith(prefix):
                raise PermissionDenied
            prefix = scope
    created: dict[str, int] = {}
    for rule in VisitRule.objects.filter(active=True).order_by("order", "id"):
        with transaction.atomic():
            created[rule.code] = _plan_rule(rule, day, prefix)
    audit.record_event(
        AuditLog.Action.CREATE,
        actor=actor,
        region_id=(prefix or None),
        note=f"care plan {day.isoformat()}: {sum(created.values())} tasks",
    )
    return created


def tasks_on_life_event(*, actor: Any, event: LifeEvent) -> list[VisitTask]:
    """Call right after a life event is recorded: its rules fire at once. On a death the
    person's other open tasks are cancelled; the condolence task (to the family) is made."""
    person = event.person
    made: list[VisitTask] = []
    with transaction.atomic():
        if event.kind == EventKind.DEATH:
            VisitTask.objects.filter(person=person, status=TaskStatus.OPEN).exclude(
                rule__trigger=Trigger.EVENT
            ).update(status=TaskStatus.CANCELLED)
        for rule in VisitRule.objects.filter(active=True, trigger=Trigger.EVENT):
            if event.kind not in (rule.event_kinds or []):
                continue
            covered = Person.objects.filter(coverage_q(rule, event.date), pk=person.pk)
            if event.kind not in DEATH_EVENTS:
                covered = covered.filter(life_status=LifeStatus.ALIVE)
            if not covered.exists():
                continue
            if _task_for_event(rule, event):
                made.append(
                    VisitTask.objects.get(rule=rule, person=person, period_key=f"E{event.pk}")
                )
    for task in made:
        _created(task, actor, note=f"life event {event.kind}")
    return made


# ---------------------------------------------------------------------------------------------
# Visits


@transaction.atomic
def visit_record(*, actor: Any, person: Person, data: dict[str, Any]) -> Visit:
    """Record a visit and close the open tasks of the person it satisfies (the rule accepts the
    contact mode and the task's window has opened). `aid_tasks` (task ids among those closed)
    applies for the money their rules' amount schedules put with them (`aid_offer`)."""
    _need(actor, "care.add_visit", person)
    visit = Visit(person=person, region_id=person.region_id, recorded_by=actor)
    for key in (
        "date",
        "mode",
        "visitors",
        "leader",
        "notes",
        "payment",
        "gifts",
        "follow_up",
        "follow_up_due",
    ):
        if key in data:
            setattr(visit, key, data[key])
    if visit.date and visit.date > timezone.localdate():
        raise ValidationError({"date": [_("The visit date is in the future.")]})
    if visit.payment is not None and visit.payment.person_id != person.pk:
        raise ValidationError({"payment": [_("That payment is for someone else.")]})
    visit.full_clean(exclude=["person", "region", "leader", "payment", "recorded_by"])
    visit.save()
    _created(visit, actor)
    closed: dict[int, VisitTask] = {}
    # The derived tasks this visit satisfies are stored first, then closed like the rest.
    derived = TaskRow.objects.filter(
        person=person, status=TaskStatus.OPEN, opens__lte=visit.date, derived=True
    )
    satisfied = [
        t.pk
        for t in derived.select_related("rule")
        if not t.rule.contact_modes or visit.mode in t.rule.contact_modes
    ]
    if satisfied:
        materialise(derived.filter(pk__in=satisfied))
    for task in (
        VisitTask.objects.select_for_update(of=("self",))
        .select_related("rule__aid_programme")
        .filter(
            person=person,
            status=TaskStatus.OPEN,
            opens__lte=visit.date,
        )
    ):
        modes = task.rule.contact_modes or []
        if modes and visit.mode not in modes:
            continue
        before = audit.snapshot(task)
        task.status, task.visit = TaskStatus.DONE, visit
        task.save(update_fields=["status", "visit"])
        audit.record_change(
            task, AuditLog.Action.UPDATE, before=before, after=audit.snapshot(task), actor=actor
        )
        closed[task.pk] = task
    _apply_aid_with_visit(actor, visit, closed, data.get("aid_tasks") or [])
    return visit


@dataclass(frozen=True)
class AidOffer:
    """The money a rule's amount schedule puts with one task: from which programme, how much
    (integer fen), for which period (the task's occurrence, so one payment per occurrence)."""

    task: TaskRow | VisitTask
    programme: AidProgramme | None
    amount_fen: int
    period: str
    occurrence: int


def aid_programme_for(rule: VisitRule, person: Person, day: datetime.date) -> AidProgramme | None:
    """The approved programme of the linked programme's name and kind for `day`'s year whose
    region covers the person, the most local first; None when there is none."""
    linked = rule.aid_programme
    if linked is None:
        return None
    best, best_len = None, -1
    for prog in AidProgramme.objects.filter(
        name=linked.name, kind=linked.kind, year=day.year, status=ProgrammeStatus.APPROVED
    ).order_by("id"):
        prefix = _region_prefix(prog.region_id)
        if person.region_id.startswith(prefix) and len(prefix) > best_len:
            best, best_len = prog, len(prefix)
    return best


def aid_offer(task: TaskRow | VisitTask, day: datetime.date) -> AidOffer | None:
    """What a visit on `day` that satisfies `task` should apply for, or None if its rule carries
    no amount or no programme. The n-th occurrence in the task's year takes the n-th amount."""
    rule = task.rule
    if not rule.amount_schedule or rule.aid_programme_id is None:
        return None
    earlier = (
        AidPayment.objects.filter(
            person_id=task.person_id, task__rule_id=rule.pk, task__opens__year=task.opens.year
        )
        .exclude(status=PaymentStatus.REJECTED)
        .exclude(task_id=task.pk)
        .count()
    )
    yuan = rules.amount_for_occurrence(rule.amount_schedule, earlier + 1) or 0
    return AidOffer(
        task=task,
        programme=aid_programme_for(rule, task.person, day),
        amount_fen=yuan * 100,
        period=f"{rule.code}:{task.period_key}",
        occurrence=earlier + 1,
    )


def aid_offers(*, user: Any, person: Person, day: datetime.date) -> list[AidOffer]:
    """The applications a visit to `person` on `day` may make: one per open task whose rule
    carries an amount and a programme, unless that task already has a live application."""
    if not user.has_perm("care.add_aidpayment") or not is_visible(person, user):
        return []
    tasks = (
        TaskRow.objects.filter(person=person, status=TaskStatus.OPEN)
        .exclude(rule__aid_programme__isnull=True)
        .exclude(
            Exists(
                AidPayment.objects.filter(task_id=OuterRef("pk")).exclude(
                    status=PaymentStatus.REJECTED
                )
            )
        )
        .select_related("rule__aid_programme", "person")
        .order_by("due", "id")
    )
    return [o for o in (aid_offer(t, day) for t in tasks) if o is not None]


def _apply_aid_with_visit(
    actor: Any, visit: Visit, closed: dict[int, VisitTask], wanted: Iterable[Any]
) -> None:
    """Apply for the money that goes with the tasks this visit closed, as the clerk chose; the
    applications then wait for another user's approval like any other."""
    payments: list[AidPayment] = []
    for raw in wanted:
        task = closed.get(int(raw))
        if task is None:
            raise ValidationError(
                {"aid": [_("Money goes only with a task this visit closes (its mode and date).")]}
            )
        offer = aid_offer(task, visit.date)
        if offer is None or not offer.amount_fen:
            raise ValidationError({"aid": [_("No money goes with this task's rule.")]})
        if offer.programme is None:
            linked = task.rule.aid_programme
            raise ValidationError(
                {
                    "aid": [
                        _("No approved programme “%(name)s” of %(year)s covers this person.")
                        % {"name": linked.name if linked else "", "year": visit.date.year}
                    ]
                }
            )
        payments.append(
            payment_apply(
                actor=actor,
                programme=offer.programme,
                person=visit.person,
                amount_fen=offer.amount_fen,
                period=offer.period,
                reason=f"{task.rule.name} {visit.date.isoformat()}",
                task=task,
            )
        )
    if payments and visit.payment_id is None:
        visit.payment = payments[0]
        visit.save(update_fields=["payment"])


@transaction.atomic
def task_assign(*, actor: Any, task: TaskRow | VisitTask, assignee: Any) -> VisitTask:
    _need(actor, "care.change_visittask")
    if not TaskRow.objects.visible_to(actor).with_pk(task.pk).exists():
        raise PermissionDenied
    task = stored(task, lock=True)
    before = audit.snapshot(task)
    task.assignee = assignee
    task.save(update_fields=["assignee"])
    audit.record_change(
        task, AuditLog.Action.UPDATE, before=before, after=audit.snapshot(task), actor=actor
    )
    return task


@transaction.atomic
def rule_save(*, actor: Any, rule: VisitRule | None, data: dict[str, Any]) -> VisitRule:
    obj = rule or VisitRule()
    _need(actor, "care.manage_rules", rule)
    before = audit.snapshot(obj) if rule else {}
    for key, value in data.items():
        setattr(obj, key, value)
    if obj.trigger == Trigger.PERIODIC and (obj.times_per_year or 0) not in (1, 2, 3, 4, 6, 12):
        raise ValidationError({"times_per_year": [_("Choose 1, 2, 3, 4, 6 or 12.")]})
    if obj.trigger == Trigger.FESTIVAL and not obj.festival:
        raise ValidationError({"festival": [_("Choose the festival.")]})
    if obj.trigger == Trigger.EVENT and not obj.event_kinds:
        raise ValidationError({"event_kinds": [_("Choose at least one life event.")]})
    if obj.aid_programme_id is not None:
        if not obj.amount_schedule:
            raise ValidationError(
                {"amount_schedule": [_("Give the amounts that the programme pays.")]}
            )
        programme = obj.aid_programme
        if programme is None or not is_visible(programme, actor):
            raise PermissionDenied
    obj.full_clean()
    obj.save()
    if not is_visible(obj, actor):
        raise ValidationError({"region": [_("You may only keep rules for your own region.")]})
    audit.record_save(obj, created=rule is None, before=before, actor=actor)
    return obj


# ---------------------------------------------------------------------------------------------
# Pairing


@transaction.atomic
def leader_save(*, actor: Any, leader: Leader | None, data: dict[str, Any]) -> Leader:
    _need(actor, "care.change_leader" if leader else "care.add_leader", leader)
    obj = leader or Leader()
    before = audit.snapshot(obj) if leader else {}
    for key in ("region", "region_id", "name", "post", "unit", "phone", "status", "status_date"):
        if key in data:
            setattr(obj, key, data[key])
    problem = masking.phone_problem(obj.phone or "")
    if problem:
        raise ValidationError({"phone": [problem]})
    obj.phone = masking.normalize_phone(obj.phone or "")
    obj.phone_masked = masking.mask_phone(obj.phone)
    obj.full_clean()
    obj.save()
    if not is_visible(obj, actor):
        raise ValidationError({"region": [_("You may only keep leaders in your own region.")]})
    audit.record_save(obj, created=leader is None, before=before, actor=actor)
    return obj


@transaction.atomic
def pairing_create(
    *, actor: Any, person: Person, leader: Leader, start: datetime.date | None = None
) -> Pairing:
    _need(actor, "care.add_pairing", person)
    if not is_visible(leader, actor):
        raise PermissionDenied
    if leader.status != LeaderStatus.SERVING:
        raise ValidationError({"leader": [_("This leader no longer serves.")]})
    if person.category != Category.LIXIU:
        raise ValidationError({"person": [_("Pairing is for 离休 cadres.")]})
    start = start or timezone.localdate()
    current = Pairing.objects.select_for_update().filter(person=person, active=True).first()
    if current is not None:
        _end_pairing(current, start, actor)
    pairing = Pairing.objects.create(
        person=person, leader=leader, region_id=person.region_id, start=start
    )
    _created(pairing, actor)
    VisitTask.objects.filter(person=person, status=TaskStatus.OPEN, owner=OwnerKind.LEADER).update(
        owner_leader=leader
    )
    return pairing


def _end_pairing(pairing: Pairing, day: datetime.date, actor: Any) -> None:
    before = audit.snapshot(pairing)
    pairing.active, pairing.end = False, day
    pairing.save(update_fields=["active", "end"])
    audit.record_change(
        pairing, AuditLog.Action.UPDATE, before=before, after=audit.snapshot(pairing), actor=actor
    )


@transaction.atomic
def leader_handover(
    *, actor: Any, old: Leader, new: Leader, day: datetime.date | None = None
) -> dict[str, int]:
    """Hand all of one leader's current pairs, and their open tasks, to another in one step."""
    _need(actor, "care.change_pairing", old)
    if not is_visible(new, actor):
        raise PermissionDenied
    if new.pk == old.pk:
        raise ValidationError({"new": [_("Choose another leader.")]})
    if new.status != LeaderStatus.SERVING:
        raise ValidationError({"new": [_("This leader no longer serves.")]})
    day = day or timezone.localdate()
    pairs = list(Pairing.objects.select_for_update().filter(leader=old, active=True))
    derived = TaskRow.objects.filter(owner_leader=old, status=TaskStatus.OPEN, derived=True)
    tasks = derived.count()
    for pairing in pairs:
        _end_pairing(pairing, day, actor)
        _created(
            Pairing.objects.create(
                person_id=pairing.person_id, leader=new, region_id=pairing.region_id, start=day
            ),
            actor,
        )
    # Derived tasks follow the pairing by themselves (counted above); stored ones are moved.
    tasks += VisitTask.objects.filter(owner_leader=old, status=TaskStatus.OPEN).update(
        owner_leader=new
    )
    audit.record_event(
        AuditLog.Action.UPDATE,
        actor=actor,
        obj=old,
        note=f"handover to leader {new.pk}: {len(pairs)} pairs, {tasks} tasks",
    )
    return {"pairs": len(pairs), "tasks": tasks}


# ---------------------------------------------------------------------------------------------
# 一人一策


@transaction.atomic
def plan_save(*, actor: Any, person: Person, data: dict[str, Any]) -> ServicePlan:
    """A new version of the person's plan; the previous one stays as history."""
    _need(actor, "care.add_serviceplan", person)
    current = ServicePlan.objects.select_for_update().filter(person=person, current=True).first()
    version = 1
    if current is not None:
        before = audit.snapshot(current)
        current.current = False
        current.save(update_fields=["current"])
        audit.record_change(
            current,
            AuditLog.Action.UPDATE,
            before=before,
            after=audit.snapshot(current),
            actor=actor,
        )
        version = current.version + 1
    plan = ServicePlan(
        person=person,
        region_id=person.region_id,
        version=version,
        created_by=actor,
        reviewed_on=data.get("reviewed_on") or (timezone.localdate() if current else None),
    )
    for key in ("needs", "measures", "responsible", "review_date"):
        setattr(plan, key, data.get(key))
    plan.full_clean(exclude=["person", "region", "created_by"])
    plan.save()
    _created(plan, actor)
    return plan


# ---------------------------------------------------------------------------------------------
# Aid and condolence money


def yuan_to_fen(value: Any) -> int:
    from decimal import Decimal, InvalidOperation

    try:
        amount = Decimal(str(value).replace(",", "").replace("元", "").strip())
    except InvalidOperation as exc:
        raise ValidationError(_("Not an amount: %(value)s") % {"value": value}) from exc
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise ValidationError(_("Amounts go to the fen at most: %(value)s") % {"value": value})
    return int(fen)


@transaction.atomic
def programme_save(
    *, actor: Any, programme: AidProgramme | None, data: dict[str, Any]
) -> AidProgramme:
    _need(actor, "care.change_aidprogramme" if programme else "care.add_aidprogramme", programme)
    obj = programme or AidProgramme(created_by=actor)
    if programme and programme.status != ProgrammeStatus.DRAFT:
        raise ValidationError(_("An approved programme cannot be changed."))
    before = audit.snapshot(obj) if programme else {}
    for key in (
        "region",
        "region_id",
        "name",
        "kind",
        "year",
        "budget_fen",
        "amount_min_fen",
        "amount_max_fen",
    ):
        if key in data:
            setattr(obj, key, data[key])
    obj.full_clean(exclude=["created_by"])
    if obj.amount_max_fen < obj.amount_min_fen:
        raise ValidationError({"amount_max_fen": [_("The most is below the least.")]})
    obj.save()
    if not is_visible(obj, actor):
        raise ValidationError({"region": [_("You may only keep programmes in your own region.")]})
    audit.record_save(obj, created=programme is None, before=before, actor=actor)
    return obj


@transaction.atomic
def programme_approve(*, actor: Any, programme: AidProgramme) -> AidProgramme:
    """The programme and its budget are approved, by someone other than who set it up."""
    _need(actor, "care.approve_aidprogramme", programme)
    locked = AidProgramme.objects.select_for_update().get(pk=programme.pk)
    if locked.status != ProgrammeStatus.DRAFT:
        raise ValidationError(_("This programme is not awaiting approval."))
    if locked.created_by_id == actor.pk:
        raise ValidationError(_("You cannot approve a programme you set up."))
    before = audit.snapshot(locked)
    locked.status, locked.approved_by, locked.approved_at = (
        ProgrammeStatus.APPROVED,
        actor,
        timezone.now(),
    )
    locked.save(update_fields=["status", "approved_by", "approved_at"])
    audit.record_change(
        locked, AuditLog.Action.UPDATE, before=before, after=audit.snapshot(locked), actor=actor
    )
    return locked


def _check_application(programme: AidProgramme, person: Person, amount_fen: int) -> None:
    if programme.status != ProgrammeStatus.APPROVED:
        raise ValidationError(_("Nothing is paid from a programme that is not approved."))
    if not (programme.amount_min_fen <= amount_fen <= programme.amount_max_fen):
        raise ValidationError(
            {
                "amount_fen": [
                    _("The amount must be between %(low)s and %(high)s yuan.")
                    % {
                        "low": programme.amount_min_fen / 100,
                        "high": programme.amount_max_fen / 100,
                    }
                ]
            }
        )
    if not person.region_id.startswith(_region_prefix(programme.region_id)):
        raise ValidationError({"person": [_("This person is outside the programme's region.")]})
    if person.life_status == LifeStatus.DECEASED and programme.kind != ProgrammeKind.CONDOLENCE:
        raise ValidationError({"person": [_("This person has died.")]})


@transaction.atomic
def payment_apply(
    *,
    actor: Any,
    programme: AidProgramme,
    person: Person,
    amount_fen: int,
    period: str,
    reason: str = "",
    task: VisitTask | None = None,
) -> AidPayment:
    _need(actor, "care.add_aidpayment", person)
    _check_application(programme, person, amount_fen)
    if AidPayment.objects.filter(
        programme=programme, person=person, period=period, status__in=COMMITTED_STATUSES
    ).exists():
        raise ValidationError({"person": [_("Already paid from this programme in this period.")]})
    payment = AidPayment.objects.create(
        programme=programme,
        person=person,
        region_id=person.region_id,
        period=period,
        amount_fen=amount_fen,
        reason=reason,
        applied_by=actor,
        task=task,
    )
    _created(payment, actor)
    return payment


def payments_import(
    *, actor: Any, programme: AidProgramme, rows: Iterable[dict[str, Any]], period: str
) -> tuple[list[AidPayment], list[str]]:
    """A list of people and amounts (from .xlsx/.csv): each row by record number or ID number."""
    from hongxia.core import crypto, idcard

    made: list[AidPayment] = []
    errors: list[str] = []
    visible = Person.objects.visible_to(actor)
    for n, row in enumerate(rows, start=2):
        ident = str(row.get("id_number") or row.get("身份证号") or "").strip()
        pid = str(row.get("person_id") or row.get("编号") or "").strip()
        try:
            if pid:
                person = visible.filter(pk=int(pid)).first()
            else:
                person = visible.filter(
                    id_hash=crypto.lookup_hash(idcard.parse(ident).number)
                ).first()
            if person is None:
                raise ValidationError(_("No such person in your region."))
            amount = yuan_to_fen(row.get("amount") or row.get("金额") or "")
            made.append(
                payment_apply(
                    actor=actor,
                    programme=programme,
                    person=person,
                    amount_fen=amount,
                    period=period,
                    reason=str(row.get("reason") or row.get("事由") or ""),
                )
            )
        except (ValidationError, ValueError, idcard.IdNumberError) as exc:
            msgs = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            errors.append(_("Row %(n)s: %(msg)s") % {"n": n, "msg": " ".join(msgs)})
    return made, errors


def payment_approve(*, actor: Any, payment: AidPayment) -> AidPayment:
    """Approve by a different user, within budget, at most once per person, programme and period.

    The programme row is locked (SELECT ... FOR UPDATE) inside the transaction, so concurrent
    approvals against one budget queue behind each other; the check constraint on the budget
    and the partial unique index on (programme, person, period) refuse whatever slips past."""
    _need(actor, "care.approve_aidpayment", payment)
    try:
        with transaction.atomic():
            programme = AidProgramme.objects.select_for_update().get(pk=payment.programme_id)
            locked = AidPayment.objects.select_for_update().get(pk=payment.pk)
            if locked.status != PaymentStatus.PENDING:
                raise ValidationError(_("This application is not awaiting approval."))
            if locked.applied_by_id == actor.pk:
                raise ValidationError(_("You cannot approve an application you made."))
            if programme.status != ProgrammeStatus.APPROVED:
                raise ValidationError(_("Nothing is paid from a programme that is not approved."))
            if programme.committed_fen + locked.amount_fen > programme.budget_fen:
                raise ValidationError(_("This would exceed the programme's budget."))
            if AidPayment.objects.filter(
                programme=programme,
                person_id=locked.person_id,
                period=locked.period,
                status__in=COMMITTED_STATUSES,
            ).exists():
                raise ValidationError(_("Already paid from this programme in this period."))
            before = audit.snapshot(locked)
            AidProgramme.objects.filter(pk=programme.pk).update(
                committed_fen=F("committed_fen") + locked.amount_fen
            )
            locked.status, locked.approved_by, locked.approved_at = (
                PaymentStatus.APPROVED,
                actor,
                timezone.now(),
            )
            locked.save(update_fields=["status", "approved_by", "approved_at"])
            audit.record_change(
                locked,
                AuditLog.Action.UPDATE,
                before=before,
                after=audit.snapshot(locked),
                actor=actor,
            )
    except IntegrityError as exc:
        raise ValidationError(_("Refused by the database: over budget or already paid.")) from exc
    return locked


@transaction.atomic
def payment_reject(*, actor: Any, payment: AidPayment, reason: str = "") -> AidPayment:
    _need(actor, "care.approve_aidpayment", payment)
    locked = AidPayment.objects.select_for_update().get(pk=payment.pk)
    if locked.status != PaymentStatus.PENDING:
        raise ValidationError(_("This application is not awaiting approval."))
    before = audit.snapshot(locked)
    locked.status = PaymentStatus.REJECTED
    locked.save(update_fields=["status"])
    audit.record_change(
        locked,
        AuditLog.Action.UPDATE,
        before=before,
        after=audit.snapshot(locked),
        actor=actor,
        note=reason,
    )
    return locked


@transaction.atomic
def payment_pay(
    *, actor: Any, payment: AidPayment, paid_on: datetime.date | None = None, voucher: str = ""
) -> AidPayment:
    _need(actor, "care.pay_aidpayment", payment)
    locked = AidPayment.objects.select_for_update().get(pk=payment.pk)
    if locked.status != PaymentStatus.APPROVED:
        raise ValidationError(_("Only approved money can be paid."))
    before = audit.snapshot(locked)
    locked.status, locked.paid_on, locked.paid_by, locked.voucher = (
        PaymentStatus.PAID,
        paid_on or timezone.localdate(),
        actor,
        voucher,
    )
    locked.save(update_fields=["status", "paid_on", "paid_by", "voucher"])
    audit.record_change(
        locked, AuditLog.Action.UPDATE, before=before, after=audit.snapshot(locked), actor=actor
    )
    return locked


# ---------------------------------------------------------------------------------------------
# 荣誉退休


@transaction.atomic
def ceremony_save(*, actor: Any, ceremony: Ceremony | None, data: dict[str, Any]) -> Ceremony:
    _need(actor, "care.change_ceremony" if ceremony else "care.add_ceremony", ceremony)
    obj = ceremony or Ceremony()
    before = audit.snapshot(obj) if ceremony else {}
    for key in ("region", "region_id", "date", "place", "unit", "notes"):
        if key in data:
            setattr(obj, key, data[key])
    obj.full_clean()
    obj.save()
    if not is_visible(obj, actor):
        raise ValidationError({"region": [_("You may only keep ceremonies in your own region.")]})
    audit.record_save(obj, created=ceremony is None, before=before, actor=actor)
    return obj


@transaction.atomic
def honoree_add(
    *,
    actor: Any,
    ceremony: Ceremony,
    person: Person | None = None,
    person_data: dict[str, Any] | None = None,
) -> Honoree:
    """Add an honoree; someone not yet in the registry enters it as a retiree."""
    from hongxia.people.services import person_create

    _need(actor, "care.change_ceremony", ceremony)
    if person is None:
        data = dict(person_data or {})
        data.setdefault("category", Category.TUIXIU)
        data.setdefault("retirement_date", ceremony.date)
        data.setdefault("former_unit", ceremony.unit)
        data.setdefault("region", ceremony.region)
        person = person_create(actor=actor, data=data)
    elif not is_visible(person, actor):
        raise PermissionDenied
    if Honoree.objects.filter(ceremony=ceremony, person=person).exists():
        raise ValidationError({"person": [_("Already an honoree of this ceremony.")]})
    honoree = Honoree.objects.create(ceremony=ceremony, person=person, region_id=person.region_id)
    _created(honoree, actor)
    return honoree


@transaction.atomic
def honoree_check(*, actor: Any, honoree: Honoree, item: str, done: bool) -> Honoree:
    from hongxia.care.choices import HONOUR_CHECKLIST

    _need(actor, "care.change_ceremony", honoree)
    if item not in dict(HONOUR_CHECKLIST):
        raise ValidationError({"item": [_("No such checklist item.")]})
    before = audit.snapshot(honoree)
    honoree.checklist = {**honoree.checklist, item: bool(done)}
    honoree.save(update_fields=["checklist"])
    audit.record_change(
        honoree, AuditLog.Action.UPDATE, before=before, after=audit.snapshot(honoree), actor=actor
    )
    return honoree
