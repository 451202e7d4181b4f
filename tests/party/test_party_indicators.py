"""Every party indicator equals an independent count of the same rows."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from tests.conftest import HECHENG, YUANLING
from tests.party.party_factories import make_branch, make_meeting, make_member

from hongxia.party import services
from hongxia.party.models import Participation, PartyHome, Rating
from hongxia.reports import registry
from hongxia.reports.registry import Period

pytestmark = pytest.mark.django_db
YEAR = Period.year(2026)
Q1 = Period(datetime.date(2026, 1, 1), datetime.date(2026, 4, 1))


def value(key: str, prefix: str = "", period: Period = YEAR) -> Any:
    return registry.get(key).value(prefix, period)


def test_party_indicators_are_registered() -> None:
    keys = {i.key for i in registry.all_indicators() if i.line == "party"}
    assert {"party_orgs_branch", "party_orgs_temporary", "party_members",
            "party_flowing_members", "party_demo_provincial", "party_demo_municipal",
            "party_homes", "party_home_branches", "party_home_communities", "party_meetings",
            "party_meetings_required", "party_meetings_held_required",
            "party_attendance_rate"} <= keys


def test_indicators_equal_independent_counts(city_admin: Any) -> None:
    committee = make_branch(HECHENG, "鹤城党委", kind="committee")
    branches = [make_branch(HECHENG, f"鹤城支部{i}", parent=committee) for i in range(3)]
    temp = make_branch(HECHENG, "临时支部", kind="temporary")
    ended = make_branch(HECHENG, "已撤销支部", end=datetime.date(2025, 6, 30))
    yl = make_branch(YUANLING, "沅陵支部")
    members = [make_member(b) for b in branches for _i in range(2)]
    make_member(yl)
    services.member_set_flowing(actor=city_admin, member=members[0], is_flowing=True,
                                place="长沙市", contact="13912345678")
    services.membership_end_on_death(actor=city_admin, person=members[1].person,
                                     date=datetime.date(2026, 5, 1))
    Rating.objects.create(organisation=branches[0], year=2026, level="provincial")
    Rating.objects.create(organisation=branches[1], year=2026, level="municipal")
    Rating.objects.create(organisation=yl, year=2025, level="municipal")
    home = PartyHome.objects.create(name="之家", region_id=HECHENG)
    home.branches.set(branches[:2])
    home.communities.set([])
    m1 = make_meeting(branches[0], "theme_day", datetime.date(2026, 2, 3),
                      attendance={members[0]: "present", members[1]: "absent"})
    make_meeting(branches[0], "theme_day", datetime.date(2026, 2, 20),
                 attendance={members[0]: "home_study"})
    make_meeting(yl, "lecture", datetime.date(2026, 3, 3))
    del m1, ended

    assert value("party_orgs_branch", HECHENG) == 3
    assert value("party_orgs_branch", "") == 4
    assert value("party_orgs_committee", HECHENG) == 1
    assert value("party_orgs_temporary", HECHENG) == 1 and temp.end_date is not None
    assert value("party_members", HECHENG) == 5  # one died in 2026
    assert value("party_members", HECHENG, Q1) == 6  # still a member at the end of Q1
    assert value("party_flowing_members", HECHENG) == 1
    # Participants of the temporary organisation stay members at home: not counted twice.
    Participation.objects.create(organisation=temp, member=members[2],
                                 start_date=datetime.date(2025, 1, 1))
    assert value("party_temporary_participants", HECHENG) == 1
    assert value("party_temporary_participants", YUANLING) == 0
    assert value("party_members", HECHENG) == 5
    assert value("party_demo_provincial") == 1
    assert value("party_demo_municipal") == 1
    assert value("party_demo_municipal", "", Period.year(2025)) == 1
    assert value("party_homes", HECHENG) == 1 and value("party_homes", YUANLING) == 0
    assert value("party_home_branches") == 2
    assert value("party_meetings", HECHENG, Q1) == 2
    assert value("party_meetings", "", Q1) == 3
    # Q1 asks each of 4 鹤城 branches (3 + temporary) for 1+3+1+3 = 8 meetings.
    assert value("party_meetings_required", HECHENG, Q1) == 4 * 8
    assert value("party_meetings_held_required", HECHENG, Q1) == 2
    assert value("party_attendance_rate", HECHENG, Q1) == Decimal("66.7")
    medal = value("party_medal_eligible", "", Period.year(2025))
    assert medal == 7  # every factory member joined 1975-07-01
