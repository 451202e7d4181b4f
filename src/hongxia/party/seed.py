"""Synthetic party structure for demos, tests and benchmarks, built on the seeded registry.

At city scale (the registry's ~34,000 party members) it makes a Huaihua-like structure: a
党委 per county and one for the city-level units, ≈800 retiree branches by former unit or
residence community, a 住长沙 general branch for members living in Changsha, ≈84 temporary
organisations, 党小组 in large branches, committees, demonstration ratings, ≈300 老党员之家,
and a year of meetings with attendance, with realistic gaps (some branches slack, a few
members who never come, frail members served at home).

Deterministic: every choice comes from one ``random.Random(seed)`` and dates from ``today``.
Fast: rows are tuples written with ``executemany`` on SQLite and ``COPY`` on PostgreSQL, ids
assigned here so that no row needs a round trip. Existing party data is never touched: with
any organisation present, nothing is seeded (``skipped``).
"""

from __future__ import annotations

import datetime
import itertools
import random
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from hongxia.core import audit, crypto, masking
from hongxia.core.models import AuditLog, Region
from hongxia.party import rules
from hongxia.party.choices import ATTENDED
from hongxia.party.models import (
    CommitteeSeat,
    Meeting,
    MeetingAttendance,
    MeetingRequirement,
    Member,
    Organisation,
    Participation,
    PartyHome,
    Rating,
)
from hongxia.people.models import Person

__all__ = ["seed_app"]

# Huaihua: 798 retiree branches for 34,000 members; the synthetic registry has ~33,000 living
# full members, so about 41 to a branch.
BRANCHES_PER_MEMBER = 798 / 33_000
GROUPS_FROM = 50  # branches this large are split into three 党小组
TEMPORARY_PER_BRANCH = 84 / 798
HOMES_PER_BRANCH = 303 / 798
CITY_REGION = "431200"
_CHANGSHA = "长沙市"
_TEMP_NAMES = ["老年大学{n}班临时党支部", "老干部志愿服务队临时党支部{n}",
               "银龄护学队临时党支部{n}", "关工委宣讲团临时党支部{n}",
               "老干部艺术团临时党支部{n}", "五老工作室临时党支部{n}"]
_TOPICS = {
    "general_meeting": ["学习贯彻党的二十大精神", "讨论支部年度工作计划", "通报党费收缴情况",
                        "选举支部委员会"],
    "committee_meeting": ["研究本月组织生活安排", "研究困难党员走访慰问", "研究送学上门名单",
                          "研究主题党日活动方案"],
    "group_meeting": ["学习《中国共产党章程》", "交流学习体会", "传达支部会议精神"],
    "lecture": ["党的创新理论专题党课", "传承红色基因", "从党史中汲取力量"],
    "micro_lecture": ["微党课：初心与使命", "微党课：身边的榜样", "微党课：我的入党故事"],
    "theme_day": ["重温入党誓词", "参观红色教育基地", "社区志愿服务", "银龄护学", "河流守望"],
    "life_meeting": ["年度专题组织生活会"],
    "appraisal": ["年度民主评议党员"],
    "micro_reflection": ["微体会：学习心得交流"],
    "micro_suggestion": ["微建言：为社区发展献策"],
    "micro_show": ["微节目：红歌联唱", "微节目：诗朗诵"],
}
_ABSENT_REASONS = ["外出探亲", "家中有事", "住院治疗", "在外地居住", "身体不适"]
_PLACES = ["社区党员活动室", "老干部活动中心", "老党员之家", "单位会议室"]


def _month_starts(first: datetime.date, today: datetime.date) -> list[datetime.date]:
    months = []
    day = first
    while day <= today:
        months.append(day)
        day = datetime.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return months


class _Writer:
    """Raw inserts: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self) -> None:
        connection.ensure_connection()
        self.vendor = connection.vendor
        self.raw = connection.connection
        now = timezone.now()
        self.now = connection.ops.adapt_datetimefield_value(now) if self.vendor == "sqlite" \
            else now

    def d(self, day: datetime.date | None) -> Any:
        if day is None:
            return None
        return day.isoformat() if self.vendor == "sqlite" else day

    def insert(self, model: Any, cols: Sequence[str], rows: Sequence[tuple]) -> None:
        if not rows:
            return
        table = model._meta.db_table if hasattr(model, "_meta") else model
        qn = connection.ops.quote_name
        columns = ", ".join(qn(c) for c in cols)
        if self.vendor == "postgresql":
            with self.raw.cursor() as cur, cur.copy(
                f"COPY {qn(table)} ({columns}) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join("%s" if self.vendor != "sqlite" else "?" for _c in cols)
        sql = f"INSERT INTO {qn(table)} ({columns}) VALUES ({marks})"  # noqa: S608
        cur = self.raw.cursor()
        try:
            cur.executemany(sql, rows)
        finally:
            cur.close()

    def finish(self, models_: Sequence[type[models.Model]]) -> None:
        if self.vendor != "postgresql":
            return
        with connection.cursor() as cur:
            for model in models_:
                table = connection.ops.quote_name(model._meta.db_table)
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "  # noqa: S608
                    f"COALESCE((SELECT MAX(id) FROM {table}), 1))", [model._meta.db_table])
                cur.execute(f"ANALYZE {table}")


def _chunks(items: list[Any], n: int, rng: random.Random | None = None) -> list[list[Any]]:
    """`items` cut into `n` runs: equal, or (with `rng`) of sizes varying by up to ±45%."""
    n = max(1, min(n, len(items)))
    weights = [rng.uniform(0.55, 1.45) if rng else 1.0 for _i in range(n)]
    scale = len(items) / sum(weights)
    bounds = [0]
    acc = 0.0
    for wgt in weights[:-1]:
        acc += wgt * scale
        bounds.append(min(len(items), max(bounds[-1] + 1, round(acc))))
    bounds.append(len(items))
    return [items[a:b] for a, b in itertools.pairwise(bounds) if b > a]


def seed_app(*, scale: str, seed: int, today: datetime.date | None = None,
             progress: bool = False) -> dict[str, Any]:
    """Seed party building over the registry's party members; returns what was created."""
    started = time.monotonic()
    today = today or timezone.localdate()
    if Organisation.objects.exists():
        return {"skipped": True, "existing": Organisation.objects.count()}
    rng = random.Random(seed)
    w = _Writer()
    d = w.d
    names = dict(Region.objects.filter(level__in=["city", "county"]).values_list("code", "name"))
    communities: dict[str, list[str]] = defaultdict(list)
    for code in Region.objects.filter(level="community").order_by("code").values_list(
            "code", flat=True):
        communities[code[:6]].append(code)
    people = list(
        Person.objects.filter(political_status="cpc_member", life_status="alive")
        .order_by("id").values_list("id", "region_id", "former_unit", "lives_elsewhere",
                                    "elsewhere_city", "health_status", "party_joined")
    )
    counts: Counter[str] = Counter()
    if not people:
        return {"skipped": True, "existing": 0, "reason": "no party members in the registry"}

    org_id = (Organisation.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    orgs: list[tuple] = []
    org_kind: dict[int, str] = {}
    org_region: dict[int, str] = {}
    org_start: dict[int, datetime.date] = {}

    def add_org(name: str, kind: str, parent: int | None, region: str, basis: str,
                note: str, start: datetime.date, end: datetime.date | None = None) -> int:
        nonlocal org_id
        oid = org_id
        org_id += 1
        founded = start
        orgs.append((oid, name, kind, parent, region, basis, note, d(founded), d(start), d(end),
                     None, None, d(rules.anniversary(start, 3 * (1 + (today.year - start.year)
                                                             // 3))),
                     "", w.now, w.now))
        org_kind[oid] = kind
        org_region[oid] = region
        org_start[oid] = start
        return oid

    # Who goes where: 市直 units under the city committee, Changsha residents in one general
    # branch, everyone else in their county.
    by_county: dict[str, list[tuple]] = defaultdict(list)
    changsha: list[tuple] = []
    for p in people:
        if p[3] and p[4] == _CHANGSHA:
            changsha.append(p)
        elif (p[2] or "").startswith("怀化市"):
            by_county[CITY_REGION].append(p)
        else:
            by_county[p[1][:6]].append(p)
    total = len(people)
    committees = {}
    for county in sorted(by_county):
        cname = names.get(county, county)
        title = "中共怀化市直机关离退休干部委员会" if county == CITY_REGION else \
            f"中共{cname}离退休干部委员会"
        committees[county] = add_org(title, "committee", None, county, "unit", cname,
                                     datetime.date(2008, 7, 1))
    counts["committees"] = len(committees)

    member_org: dict[int, int] = {}
    branch_members: dict[int, list[tuple]] = {}
    n_branches_total = max(1, round(total * BRANCHES_PER_MEMBER))
    used_names: Counter[str] = Counter()

    def unique(name: str) -> str:
        used_names[name] += 1
        n = used_names[name]
        return name if n == 1 else name.replace("党支部", f"第{n}党支部")

    for county in sorted(by_county):
        pool = sorted(by_county[county], key=lambda p: (p[2] or "~", p[1], p[0]))
        n = max(1, round(len(pool) / total * n_branches_total))
        for chunk in _chunks(pool, n, rng):
            unit, unit_n = Counter(p[2] for p in chunk).most_common(1)[0]
            if unit and unit_n * 2 >= len(chunk):
                basis, note = "unit", unit
                region = county
                name = unique(f"{unit}离退休干部党支部")
            else:
                region = Counter(p[1] for p in chunk).most_common(1)[0][0]
                if len(region) < 12 and communities.get(county):
                    region = rng.choice(communities[county])
                basis = "community"
                note = names.get(county, "")
                name = unique(f"{note}{region[-3:]}社区离退休干部党支部")
            start = datetime.date(rng.randint(1995, 2020), rng.randint(1, 12), 1)
            oid = add_org(name, "branch", committees[county], region, basis, note, start)
            branch_members[oid] = chunk
    if changsha:
        home = CITY_REGION if CITY_REGION in names else sorted(by_county)[0]
        general = add_org("怀化市住长沙离退休干部流动党员党总支", "general_branch",
                          committees.get(home), home, "elsewhere", _CHANGSHA,
                          datetime.date(2012, 7, 1))
        branch_members[general] = []
        for i, chunk in enumerate(_chunks(changsha, max(1, len(changsha) // 45)), start=1):
            oid = add_org(f"住长沙流动党员第{i}党支部", "branch", general, home, "elsewhere",
                          _CHANGSHA, datetime.date(2012, 7, 1))
            branch_members[oid] = chunk
    # Temporary organisations draw participants from the largest branches (seniors'
    # university classes, volunteer teams) for the task's duration; the participants stay
    # members of their home branch (counts, dues, transfers).
    n_temp = max(1, round(len(branch_members) * TEMPORARY_PER_BRANCH))
    donors = sorted(branch_members, key=lambda o: -len(branch_members[o]))
    temp_people: dict[int, list[tuple]] = {}
    for i in range(n_temp):
        donor = donors[i % len(donors)]
        county = org_region[donor][:6] if org_region[donor][:6] in committees else CITY_REGION
        take = min(len(branch_members[donor]) // 3, rng.randint(8, 15))
        offset = (i // len(donors)) * take  # a second round takes other members
        chosen = branch_members[donor][offset:offset + take]
        start = today - datetime.timedelta(days=rng.randint(200, 900))
        end = today + datetime.timedelta(days=rng.randint(60, 700))
        name = rng.choice(_TEMP_NAMES).format(n=i + 1)
        oid = add_org(f"{names.get(county, '')}{name}", "temporary",
                      committees.get(county), org_region[donor], "unit", "", start, end)
        temp_people[oid] = chosen
    counts["branches"] = sum(1 for k in org_kind.values() if k == "branch")
    counts["temporary"] = sum(1 for k in org_kind.values() if k == "temporary")

    # 党小组 in branches of 40 or more.
    groups: dict[int, list[int]] = {}
    group_of: dict[int, int] = {}
    for oid in [o for o, k in org_kind.items() if k == "branch"]:
        chunk = branch_members[oid]
        if len(chunk) >= GROUPS_FROM:
            gids = []
            for gi, part in enumerate(_chunks(chunk, 3), start=1):
                gid = add_org(f"第{gi}党小组", "group", oid, org_region[oid], "unit", "",
                              datetime.date(2016, 1, 1))
                gids.append(gid)
                for p in part:
                    group_of[p[0]] = gid
            groups[oid] = gids
    counts["groups"] = sum(len(g) for g in groups.values())

    # Members.
    member_id = (Member.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    members: list[tuple] = []
    member_of_person: dict[int, int] = {}
    frail: set[int] = set()
    never: set[int] = set()
    seats: list[tuple] = []
    secretaries: dict[int, int] = {}
    for oid, chunk in branch_members.items():
        for k, p in enumerate(chunk):
            pid, _region, _unit, elsewhere, city, health, joined = p
            since_low = max(joined or datetime.date(1990, 1, 1), datetime.date(1990, 1, 1))
            since = since_low + datetime.timedelta(days=rng.randint(0, 3650))
            since = min(since, today - datetime.timedelta(days=400))
            flowing = bool(elsewhere)
            phone = f"139{rng.randrange(10**8):08d}" if flowing else ""
            members.append((
                member_id, pid, oid, group_of.get(pid), d(since), "active", None, "",
                flowing, city if flowing else "",
                d(since + datetime.timedelta(days=rng.randint(30, 900))) if flowing else None,
                crypto.encrypt(phone) if phone else "", masking.mask_phone(phone),
                flowing and rng.random() < 0.6, w.now, w.now,
            ))
            member_of_person[pid] = member_id
            member_org[member_id] = oid
            if health in ("serious", "disabled"):
                frail.add(member_id)
            elif rng.random() < 0.02:
                never.add(member_id)
            if k < 3 and len(chunk) >= 7:
                role = ("secretary", "organisation", "propaganda")[k]
                seats.append((oid, pid, role, d(datetime.date(today.year - rng.randint(0, 2),
                                                              1, 1)), None))
            if k == 0:
                secretaries[oid] = pid
            member_id += 1
    counts["members"] = len(members)
    counts["flowing"] = sum(1 for m in members if m[8])
    participations: list[tuple] = []
    since_of = {m[0]: m[4] for m in members}
    for oid, chosen in temp_people.items():
        for p in chosen:
            mid = member_of_person[p[0]]
            since = since_of[mid]
            since_day = since if isinstance(since, datetime.date) else \
                datetime.date.fromisoformat(since)
            participations.append((oid, mid, d(max(org_start[oid], since_day)), None, ""))
        if chosen:
            secretaries[oid] = chosen[0][0]
    counts["participants"] = len(participations)

    # Demonstration ratings for the last three years; homes with their coverage.
    ratings: list[tuple] = []
    rated = [o for o, k in org_kind.items() if k == "branch"]
    for year in range(today.year - 3, today.year):
        for oid in rng.sample(rated, max(1, len(rated) // 20)):
            ratings.append((oid, year, "municipal", ""))
        for oid in rng.sample(rated, max(1, len(rated) // 100)):
            ratings.append((oid, year, "provincial", ""))
    ratings = list({(r[0], r[1], r[2]): r for r in ratings}.values())
    home_rows, home_branches, home_communities = [], [], []
    home_id = (PartyHome.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    n_homes = max(1, round(len(rated) * HOMES_PER_BRANCH))
    for oid in rng.sample(rated, min(n_homes, len(rated))):
        region = org_region[oid]
        county = region[:6]
        home_rows.append((home_id, f"{names.get(county, '')}美在金秋老党员之家{home_id}号",
                          f"{names.get(county, '')}{rng.choice(_PLACES)}", region,
                          d(datetime.date(rng.randint(2019, today.year - 1), 7, 1))))
        home_branches.append((home_id, oid))
        if rng.random() < 0.1:
            home_branches.append((home_id, rng.choice(rated)))
        if rng.random() < 0.1 and communities.get(county):
            home_communities.append((home_id, rng.choice(communities[county])))
        home_id += 1
    home_branches = list(dict.fromkeys(home_branches))
    home_communities = list(dict.fromkeys(home_communities))

    # A year of meetings. Each organisation has a diligence; slack ones skip months.
    requirements = list(MeetingRequirement.objects.filter(active=True).values_list(
        "org_kind", "meeting_kind", "times", "per"))
    months = _month_starts(datetime.date(today.year - 1, today.month, 1), today)
    meeting_id = (Meeting.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    meetings: list[tuple] = []
    attendance: list[tuple] = []
    org_members: dict[int, list[int]] = defaultdict(list)
    group_members: dict[int, list[int]] = defaultdict(list)
    for m in members:
        org_members[m[2]].append(m[0])
        if m[3]:
            group_members[m[3]].append(m[0])
    for oid, mid, *_rest in participations:
        org_members[oid].append(mid)
    committee_of: dict[int, list[int]] = defaultdict(list)
    for oid, pid, *_rest in seats:
        committee_of[oid].append(member_of_person[pid])
    broad = {"general_meeting", "lecture", "theme_day", "life_meeting", "appraisal",
             "micro_lecture", "micro_reflection", "micro_suggestion", "micro_show"}

    def meet(oid: int, kind: str, day: datetime.date) -> None:
        nonlocal meeting_id
        if day > today:
            return
        topic = rng.choice(_TOPICS[kind])
        meetings.append((meeting_id, oid, kind, d(day), rng.choice(_PLACES), topic, "", "",
                         None, w.now))
        if kind == "group_meeting":
            who = group_members[oid]
        elif kind == "committee_meeting":
            who = committee_of[oid] or org_members[oid][:1]
        elif kind in broad:
            who = org_members[oid]
        else:
            who = []
        for mid in who:
            if mid in never:
                status, reason = "absent", rng.choice(_ABSENT_REASONS)
            elif mid in frail:
                status, reason = ("home_study", "") if rng.random() < 0.7 else \
                    ("excused_health", "")
            else:
                r = rng.random()
                if r < 0.86:
                    status, reason = "present", ""
                elif r < 0.96:
                    status, reason = "absent", rng.choice(_ABSENT_REASONS)
                else:
                    status, reason = "excused_health", ""
            attendance.append((meeting_id, mid, status, reason, d(day)))
        meeting_id += 1

    for oid, kind in org_kind.items():
        rules_here = [(mk, times, per) for ok, mk, times, per in requirements if ok == kind]
        if not rules_here:
            continue
        roll = rng.random()
        diligence = (rng.uniform(0.92, 1.0) if roll < 0.7 else rng.uniform(0.6, 0.9)
                     if roll < 0.92 else rng.uniform(0.2, 0.6))
        alive_from = org_start[oid]
        for month in months:
            if month < alive_from.replace(day=1):
                continue
            for mk, times, per in rules_here:
                # Monthly rules any day of the month; quarterly ones any day of the quarter;
                # the yearly 组织生活会 and 民主评议 in January and February.
                due = per == "month" or (per == "quarter" and month.month % 3 == 1) or (
                    per == "year" and month.month == 1)
                if not due:
                    continue
                span = {"month": 27, "quarter": 85, "year": 55}[per]
                for _t in range(times):
                    if rng.random() < diligence:
                        day = month + datetime.timedelta(days=rng.randint(0, span))
                        meet(oid, mk, max(day, alive_from))
            if kind != "group" and rng.random() < 0.25:
                micro = rng.choice(["micro_lecture", "micro_reflection", "micro_suggestion",
                                    "micro_show"])
                meet(oid, micro, month + datetime.timedelta(days=rng.randint(0, 27)))
    counts["meetings"] = len(meetings)
    counts["attendance"] = len(attendance)
    counts["took_part"] = sum(1 for a in attendance if a[2] in ATTENDED)

    org_cols = ["id", "name", "kind", "parent_id", "region_id", "basis", "basis_note",
                "founded_on", "start_date", "end_date", "secretary_id", "secretary_user_id",
                "term_ends", "notes", "created_at", "updated_at"]
    # Secretaries: the first member of each branch.
    orgs = [(*row[:10], secretaries.get(row[0]), *row[11:]) for row in orgs]
    with transaction.atomic():
        w.insert(Organisation, org_cols, orgs)
        w.insert(Member, ["id", "person_id", "organisation_id", "group_id", "since", "status",
                          "end_date", "end_reason", "is_flowing", "flowing_place",
                          "flowing_since", "flowing_contact", "flowing_contact_masked",
                          "has_activity_card", "created_at", "updated_at"], members)
        w.insert(CommitteeSeat, ["organisation_id", "person_id", "role", "start_date",
                                 "end_date"], seats)
        w.insert(Participation, ["organisation_id", "member_id", "start_date", "end_date",
                                 "note"], participations)
        w.insert(Rating, ["organisation_id", "year", "level", "note"], ratings)
        w.insert(PartyHome, ["id", "name", "address", "region_id", "opened_on"], home_rows)
        through_b = PartyHome.branches.through._meta.db_table
        through_c = PartyHome.communities.through._meta.db_table
        w.insert(through_b, ["partyhome_id", "organisation_id"], home_branches)
        w.insert(through_c, ["partyhome_id", "region_id"], home_communities)
        for at in range(0, len(meetings), 50_000):
            w.insert(Meeting, ["id", "organisation_id", "kind", "date", "place", "topic",
                               "speaker", "minutes", "recorded_by_id", "created_at"],
                     meetings[at:at + 50_000])
        for at in range(0, len(attendance), 200_000):
            w.insert(MeetingAttendance, ["meeting_id", "member_id", "status", "reason", "date"],
                     attendance[at:at + 200_000])
    w.finish([Organisation, Member, CommitteeSeat, Participation, Rating, PartyHome, Meeting,
              MeetingAttendance])
    if w.vendor == "sqlite":
        with connection.cursor() as cur:
            for model in (Organisation, Member, Meeting, MeetingAttendance):
                cur.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    counts["homes"] = len(home_rows)
    counts["ratings"] = len(ratings)
    audit.record_event(AuditLog.Action.SEED,
                       note=f"party synthetic data: scale={scale} seed={seed}",
                       changes={"scale": scale, "seed": seed, **counts})
    return {"skipped": False, **counts, "seconds": round(time.monotonic() - started, 1)}
