"""Services and compliance selectors: writes audited, history kept, figures from the database."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from tests.conftest import HECHENG, YUANLING
from tests.party.conftest import PARTY_ROLE_PERMISSIONS, grant
from tests.party.party_factories import make_branch, make_meeting, make_member

from hongxia.core.models import AuditLog, Region
from hongxia.party import rules, selectors, services
from hongxia.party.models import Meeting, MeetingRequirement, Member, Organisation, Transfer

pytestmark = pytest.mark.django_db

Q1 = rules.period_of("quarter", datetime.date(2026, 2, 1))
AFTER_Q1 = datetime.date(2026, 4, 15)


def _one(org: Organisation, period: Any = Q1, as_of: datetime.date = AFTER_Q1) -> Any:
    return selectors.compliance_queryset(
        Organisation.objects.filter(pk=org.pk), period, as_of=as_of).get()


def _meet_everything_but_committee(org: Organisation) -> None:
    make_meeting(org, "general_meeting", datetime.date(2026, 3, 5))
    make_meeting(org, "lecture", datetime.date(2026, 3, 5))
    for month in (1, 2, 3):
        make_meeting(org, "theme_day", datetime.date(2026, month, 1))


def test_branch_with_two_committee_meetings_in_a_quarter_is_behind_by_one() -> None:
    branch = make_branch(HECHENG, "第一支部")
    _meet_everything_but_committee(branch)
    make_meeting(branch, "committee_meeting", datetime.date(2026, 1, 10))
    make_meeting(branch, "committee_meeting", datetime.date(2026, 3, 10))
    row = _one(branch)
    assert row.required_committee_meeting == 3
    assert row.held_committee_meeting == 2
    assert row.behind_committee_meeting == 1
    assert row.behind == 1
    # The year's 组织生活会 and 民主评议 are not asked of a quarter.
    assert "life_meeting" not in selectors.required_by_kind(Q1, as_of=AFTER_Q1)["branch"]
    # A meeting in another quarter does not count.
    make_meeting(branch, "committee_meeting", datetime.date(2026, 4, 2))
    assert _one(branch).behind == 1
    summary = selectors.compliance_summary(user=None, period=Q1, as_of=AFTER_Q1,
                                           orgs=Organisation.objects.all())
    assert (summary.branches, summary.behind, summary.shortfall) == (1, 1, 1)


def test_a_third_committee_meeting_puts_the_branch_on_track() -> None:
    branch = make_branch(HECHENG, "第二支部")
    _meet_everything_but_committee(branch)
    for month in (1, 2, 3):
        make_meeting(branch, "committee_meeting", datetime.date(2026, month, 10))
    assert _one(branch).behind == 0


def test_a_quarter_in_progress_asks_only_for_the_months_over() -> None:
    branch = make_branch(HECHENG, "第三支部")
    make_meeting(branch, "committee_meeting", datetime.date(2026, 1, 10))
    make_meeting(branch, "theme_day", datetime.date(2026, 1, 20))
    assert _one(branch, as_of=datetime.date(2026, 2, 3)).behind == 0
    row = _one(branch, as_of=datetime.date(2026, 3, 1))
    assert row.required_committee_meeting == 2
    assert row.behind_committee_meeting == 1
    assert row.behind == 2  # and February's 主题党日


def test_a_relaxed_frequency_for_a_branch_type_takes_effect(city_admin: Any) -> None:
    temporary = make_branch(HECHENG, "临时党支部", kind="temporary")
    ordinary = make_branch(HECHENG, "普通支部")
    for org in (temporary, ordinary):
        _meet_everything_but_committee(org)
        make_meeting(org, "committee_meeting", datetime.date(2026, 2, 10))
    assert _one(temporary).behind_committee_meeting == 2
    relaxed = MeetingRequirement.objects.get(org_kind="temporary",
                                             meeting_kind="committee_meeting")
    services.requirement_update(actor=city_admin, requirement=relaxed, times=1, per="quarter",
                                active=True)
    assert _one(temporary).required_committee_meeting == 1
    assert _one(temporary).behind == 0
    assert _one(ordinary).behind_committee_meeting == 2  # other types keep the default
    assert AuditLog.objects.filter(model="party.MeetingRequirement", action="update").exists()
    # Switching a rule off removes it from the count entirely.
    services.requirement_update(actor=city_admin, requirement=relaxed, times=1, per="quarter",
                                active=False)
    assert _one(temporary).required_committee_meeting == 0


def test_requirement_update_needs_the_permission(clerk: Any) -> None:
    requirement = MeetingRequirement.objects.first()
    with pytest.raises(PermissionDenied):
        services.requirement_update(actor=clerk, requirement=requirement, times=1,
                                    per="year", active=True)


def test_default_requirements_follow_domain_md() -> None:
    table = {(r.org_kind, r.meeting_kind): (r.times, r.per)
             for r in MeetingRequirement.objects.all()}
    assert table[("branch", "committee_meeting")] == (1, "month")
    assert table[("branch", "general_meeting")] == (1, "quarter")
    assert table[("branch", "lecture")] == (1, "quarter")
    assert table[("branch", "theme_day")] == (1, "month")
    assert table[("branch", "life_meeting")] == (1, "year")
    assert table[("branch", "appraisal")] == (1, "year")
    assert table[("group", "group_meeting")] == (1, "month")


def test_a_transfer_keeps_history_and_counts(city_admin: Any) -> None:
    a = make_branch(HECHENG, "甲支部")
    b = make_branch(HECHENG, "乙支部")
    member = make_member(a)
    make_member(a)
    meeting = make_meeting(a, "theme_day", datetime.date(2026, 1, 5),
                           attendance={member: "present"})
    transfer = services.member_transfer(actor=city_admin, member=member, to_organisation=b,
                                        date=datetime.date(2026, 3, 1), reason="搬家")
    member.refresh_from_db()
    assert member.organisation == b and member.since == datetime.date(2026, 3, 1)
    assert list(selectors.transfers_of(member)) == [transfer]
    assert (transfer.from_organisation, transfer.to_organisation) == (a, b)
    assert Member.objects.filter(organisation=a, status="active").count() == 1
    assert Member.objects.filter(organisation=b, status="active").count() == 1
    assert selectors.member_counts(Organisation.objects.filter(pk=b.pk))["active"] == 1
    # The old branch keeps the meeting and the attendance record.
    assert meeting.attendance.get().member == member
    assert AuditLog.objects.filter(model="party.Transfer", action="create").count() == 1
    # A second transfer adds to the history rather than replacing it.
    services.member_transfer(actor=city_admin, member=member, to_organisation=a,
                             date=datetime.date(2026, 3, 20))
    assert [t.to_organisation for t in selectors.transfers_of(member)] == [b, a]
    assert Transfer.objects.filter(date__gte=Q1.start, date__lt=Q1.end).count() == 2


def test_transfer_into_another_county_is_refused_for_a_clerk(clerk: Any) -> None:
    grant(clerk, *PARTY_ROLE_PERMISSIONS["county_clerk"])
    member = make_member(make_branch(HECHENG, "甲支部"))
    elsewhere = make_branch(YUANLING, "沅陵支部")
    with pytest.raises(PermissionDenied):
        services.member_transfer(actor=clerk, member=member, to_organisation=elsewhere,
                                 date=datetime.date(2026, 3, 1))


def test_death_ends_the_membership(city_admin: Any) -> None:
    member = make_member(make_branch(HECHENG, "甲支部"))
    services.membership_end_on_death(actor=city_admin, person=member.person,
                                     date=datetime.date(2026, 2, 1))
    member.refresh_from_db()
    assert (member.status, member.end_reason) == ("ended", "death")
    assert member.end_date == datetime.date(2026, 2, 1)
    # Nobody without a party record is touched, and a second call changes nothing.
    assert services.membership_end_on_death(actor=city_admin, person=member.person,
                                            date=datetime.date(2026, 2, 2)).end_date == \
        datetime.date(2026, 2, 1)


def test_meeting_record_checks_attendance(city_admin: Any) -> None:
    branch = make_branch(HECHENG, "甲支部")
    present, absent, frail = make_member(branch), make_member(branch), make_member(branch)
    outsider = make_member(make_branch(HECHENG, "乙支部"))
    data = {"organisation": branch, "kind": "micro_lecture", "date": datetime.date(2026, 1, 8),
            "topic": "微党课：初心"}
    with pytest.raises(ValidationError) as exc:
        services.meeting_record(actor=city_admin, data=data,
                                attendance=[(absent, "absent", ""), (outsider, "present", "")])
    assert len(exc.value.message_dict["attendance"]) == 2
    assert not Meeting.objects.exists()
    meeting = services.meeting_record(
        actor=city_admin, data=data,
        attendance=[(present, "present", ""), (absent, "absent", "外出"),
                    (frail, "home_study", "")])
    assert meeting.attendance.count() == 3
    assert selectors.attendance_rate(meeting.attendance.all()) == pytest.approx(2 / 3)
    missing = selectors.members_missing_all(Organisation.objects.filter(pk=branch.pk), Q1)
    # 送学上门 counts as taking part; only the absent member missed every meeting.
    assert list(missing) == [absent]


def test_merge_keeps_the_old_branch_and_moves_its_members(city_admin: Any) -> None:
    old = make_branch(HECHENG, "旧支部")
    new = make_branch(HECHENG, "新支部")
    members = [make_member(old) for _ in range(3)]
    make_meeting(old, "theme_day", datetime.date(2026, 1, 3))
    change = services.organisation_reorganise(actor=city_admin, organisation=old, kind="merge",
                                              date=datetime.date(2026, 3, 31), into=new)
    old.refresh_from_db()
    assert old.end_date == datetime.date(2026, 3, 31)
    assert change.into == new
    assert Member.objects.filter(organisation=new).count() == 3
    assert Transfer.objects.filter(from_organisation=old).count() == len(members)
    assert old.meetings.count() == 1
    # Ended after Q2 began: no longer counted for Q3.
    q3 = rules.period_of("quarter", datetime.date(2026, 8, 1))
    assert not selectors.compliance_queryset(Organisation.objects.filter(pk=old.pk), q3,
                                             as_of=datetime.date(2026, 9, 30)).exists()


def test_temporary_organisation_needs_an_end_date(city_admin: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        services.organisation_save(actor=city_admin, data={
            "name": "临时党支部", "kind": "temporary", "region": Region.objects.get(code=HECHENG),
            "start_date": datetime.date(2026, 1, 1), "basis": "community"})
    assert "end_date" in exc.value.message_dict


def test_member_create_requires_a_registry_party_member(city_admin: Any, person: Any) -> None:
    branch = make_branch(HECHENG, "甲支部")
    with pytest.raises(ValidationError):
        services.member_create(actor=city_admin, person=person, organisation=branch,
                               since=datetime.date(2026, 1, 1))


def test_compliance_by_county_equals_independent_counts() -> None:
    hc = [make_branch(HECHENG, f"鹤城{i}") for i in range(3)]
    yl = [make_branch(YUANLING, f"沅陵{i}") for i in range(2)]
    for org in hc[:1] + yl:
        _meet_everything_but_committee(org)
        for month in (1, 2, 3):
            make_meeting(org, "committee_meeting", datetime.date(2026, month, 9))
    from tests.factories import UserFactory

    admin = UserFactory(username="a2", role="city_admin", region_id="431200")
    rows = {r["county"]: r for r in selectors.compliance_by_county(user=admin, period=Q1,
                                                                   as_of=AFTER_Q1)}
    per_branch_required = 1 + 3 + 1 + 3  # general, committee ×3, lecture, theme day ×3
    assert rows[HECHENG]["branches"] == 3 and rows[HECHENG]["behind"] == 2
    assert rows[HECHENG]["required"] == 3 * per_branch_required
    assert rows[HECHENG]["held"] == per_branch_required
    assert rows[YUANLING]["behind"] == 0 and rows[YUANLING]["held"] == 2 * per_branch_required
