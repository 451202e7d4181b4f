"""Synthetic care data after the registry is seeded: rules, leaders pairing every 离休干部,
approved programmes with payments, and a few months of planned tasks and visits. Fast: bulk
writes and the set-based planner, never one ORM call per person."""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.db.models import Sum

from hongxia.care import services
from hongxia.care.choices import ContactMode, PaymentStatus, ProgrammeStatus, TaskStatus
from hongxia.care.models import (
    DERIVED_ID_BASE,
    AidPayment,
    AidProgramme,
    Leader,
    Pairing,
    ServicePlan,
    TaskRow,
    Visit,
    VisitRule,
    VisitTask,
)
from hongxia.core.masking import mask_phone
from hongxia.core.models import Region, User
from hongxia.people.models import Person

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
_GIVEN = "建国志强伟明华军平海东德文斌超勇俊峰"
_POSTS = [
    ("县委书记", "县委"),
    ("县长", "县人民政府"),
    ("副县长", "县人民政府"),
    ("组织部部长", "县委组织部"),
    ("人大常委会主任", "县人大常委会"),
    ("政协主席", "县政协"),
    ("宣传部部长", "县委宣传部"),
    ("老干部局局长", "县委老干部局"),
]


def _say(progress: Any, text: str) -> None:
    if callable(progress):
        progress(text)


def _seed_users() -> tuple[User, User]:
    """Two inactive accounts that stand for the clerks who applied and approved."""
    made = []
    for username, name in (("care_seed_clerk", "演示经办人"), ("care_seed_approver", "演示审批人")):
        user, _ = User.objects.get_or_create(
            username=username,
            defaults={
                "full_name": name,
                "role": "county_clerk",
                "region_id": "431200",
                "is_active": False,
                "password": "!",
            },
        )
        made.append(user)
    return made[0], made[1]


def _ensure_rules() -> None:
    from importlib import import_module

    from django.apps import apps

    if not VisitRule.objects.exists():
        import_module("hongxia.care.migrations.0002_default_rules").load(apps, None)


def seed_app(
    *, scale: str, seed: int, today: datetime.date, progress: Any = None
) -> dict[str, Any]:
    rng = random.Random(seed)
    _ensure_rules()
    counts: dict[str, Any] = {}
    clerk, approver = _seed_users()
    counties = list(
        Region.objects.filter(level="county", code__startswith="4312").values_list(
            "code", flat=True
        )
    )

    # Leaders: one per three 离休干部 of a county, every living 离休干部 paired.
    _say(progress, "care: leaders and pairs")
    lixiu = defaultdict(list)
    for pid, region in (
        Person.objects.filter(category="lixiu", life_status="alive")
        .exclude(pk__in=Pairing.objects.filter(active=True).values("person_id"))
        .values_list("id", "region_id")
        .order_by("id")
    ):
        lixiu[region[:6]].append((pid, region))
    leaders: list[Leader] = []
    for county in counties:
        for i in range(max(2, (len(lixiu[county]) + 2) // 3)):
            post, unit = _POSTS[i % len(_POSTS)]
            leaders.append(
                Leader(
                    region_id=county,
                    name=rng.choice(_SURNAMES) + "".join(rng.sample(_GIVEN, 2)),
                    post=post,
                    unit=unit,
                    phone=(phone := f"139{rng.randint(0, 99_999_999):08d}"),
                    phone_masked=mask_phone(phone),
                )
            )
    with transaction.atomic():
        Leader.objects.bulk_create(leaders, batch_size=1000)
        by_county = defaultdict(list)
        for leader in Leader.objects.filter(status="serving"):
            by_county[leader.region_id].append(leader.pk)
        pairs = []
        for county, people in lixiu.items():
            pool = by_county.get(county) or by_county.get(counties[0]) or []
            for i, (pid, region) in enumerate(people):
                if pool:
                    pairs.append(
                        Pairing(
                            person_id=pid,
                            leader_id=pool[i % len(pool)],
                            region_id=region,
                            start=today - datetime.timedelta(days=rng.randint(30, 900)),
                        )
                    )
        Pairing.objects.bulk_create(pairs, batch_size=2000)
    counts.update(leaders=len(leaders), pairs=len(pairs))

    # Plans for every paired 离休干部, a few overdue for review.
    ServicePlan.objects.bulk_create(
        [
            ServicePlan(
                person_id=p.person_id,
                region_id=p.region_id,
                needs="定期体检、居家照护",
                measures="结对领导每半年走访；社区医生每月上门",
                responsible="县委老干部局",
                review_date=today + datetime.timedelta(days=rng.randint(-20, 180)),
            )
            for p in pairs
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )

    # Programmes: city festival money and county hardship aid, approved.
    _say(progress, "care: programmes and payments")
    progs = [
        AidProgramme(
            region_id="431200",
            name="春节走访慰问",
            kind="festival",
            year=today.year,
            budget_fen=70_000_000,
            amount_min_fen=50_000,
            amount_max_fen=200_000,
            status=ProgrammeStatus.APPROVED,
            created_by=clerk,
            approved_by=approver,
        )
    ]
    progs += [
        AidProgramme(
            region_id=c,
            name="特困帮扶",
            kind="hardship",
            year=today.year,
            budget_fen=7_600_000,
            amount_min_fen=100_000,
            amount_max_fen=300_000,
            status=ProgrammeStatus.APPROVED,
            created_by=clerk,
            approved_by=approver,
        )
        for c in counties
    ]
    AidProgramme.objects.bulk_create(progs)
    city = progs[0]
    paid = []
    spent = 0
    for people in lixiu.values():
        for pid, region in people:
            if spent + 100_000 > city.budget_fen:
                break
            spent += 100_000
            paid.append(
                AidPayment(
                    programme=city,
                    person_id=pid,
                    region_id=region,
                    period=f"{today.year}春节",
                    amount_fen=100_000,
                    status=PaymentStatus.PAID,
                    applied_by=clerk,
                    approved_by=approver,
                    paid_by=clerk,
                    paid_on=today - datetime.timedelta(days=rng.randint(1, 60)),
                    reason="春节慰问",
                )
            )
    hardship = list(
        Person.objects.filter(hardship=True, life_status="alive").values_list("id", "region_id")[
            :2000
        ]
    )
    prog_of = {p.region_id: p for p in progs[1:]}
    room = {p.pk: p.budget_fen for p in progs[1:]}
    for pid, region in hardship:
        prog = prog_of.get(region[:6])
        if prog is None or room[prog.pk] < 200_000:
            continue
        room[prog.pk] -= 200_000
        paid.append(
            AidPayment(
                programme=prog,
                person_id=pid,
                region_id=region,
                period=str(today.year),
                amount_fen=200_000,
                status=PaymentStatus.PAID,
                applied_by=clerk,
                approved_by=approver,
                paid_by=clerk,
                paid_on=today - datetime.timedelta(days=30),
                reason="生活困难",
            )
        )
    AidPayment.objects.bulk_create(paid, batch_size=2000)
    for prog in progs:
        total = prog.payments.aggregate(s=Sum("amount_fen"))["s"] or 0
        AidProgramme.objects.filter(pk=prog.pk).update(committed_fen=total)
    counts["payments"] = len(paid)

    # A few months of tasks (the real planner) and visits for most of those now due.
    _say(progress, "care: planning three months of tasks")
    before = TaskRow.objects.count()
    day = today - datetime.timedelta(days=91)
    while day <= today:
        services.tasks_plan_for_day(actor=None, day=day)
        day += datetime.timedelta(days=7)
    services.tasks_plan_for_day(actor=None, day=today)
    counts["tasks"] = TaskRow.objects.count() - before

    _say(progress, "care: visits")
    modes = [ContactMode.HOME, ContactMode.HOME, ContactMode.PHONE, ContactMode.HOSPITAL]
    due = list(
        TaskRow.objects.filter(status=TaskStatus.OPEN, opens__lte=today).values_list(
            "id", "person_id", "region_id", "opens", "due"
        )
    )
    visits, done = [], []
    for tid, pid, region, opens, due_day in due:
        late = due_day < today
        if rng.random() > (0.85 if late else 0.35):
            continue
        last = min(due_day, today)
        span = max((last - opens).days, 0)
        visits.append(
            Visit(
                person_id=pid,
                region_id=region,
                date=opens + datetime.timedelta(days=rng.randint(0, span)),
                mode=rng.choice(modes),
                visitors="县委老干部局工作人员",
                notes="身体状况良好，精神状态佳。",
            )
        )
        done.append(tid)
    with transaction.atomic():
        # The campaigns' derived tasks that are visited are stored first, under their ids (a
        # batch at a time, each found through its people).
        for i in range(0, len(done), 2000):
            batch = done[i : i + 2000]
            services.materialise(
                TaskRow.objects.filter(
                    pk__in=batch, person_id__in={pk % DERIVED_ID_BASE for pk in batch}
                )
            )
        Visit.objects.bulk_create(visits, batch_size=2000)
        tasks = [
            VisitTask(id=tid, status=TaskStatus.DONE, visit_id=v.pk)
            for tid, v in zip(done, visits, strict=True)
        ]
        VisitTask.objects.bulk_update(tasks, ["status", "visit"], batch_size=2000)
    counts["visits"] = len(visits)
    return counts
