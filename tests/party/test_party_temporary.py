"""Temporary organisations run alongside home branches: participants keep their membership
(counts, transfers) at home; the temporary organisation has its own list and meetings."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from tests.conftest import HECHENG
from tests.party.party_factories import make_branch, make_member

from hongxia.party import selectors, services
from hongxia.party.models import Member, Organisation, Participation

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 1)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def temp(db: Any) -> Organisation:
    return make_branch(HECHENG, "老年大学书法班临时党支部", kind="temporary",
                       start=datetime.date(2025, 9, 1), end=datetime.date(2027, 1, 31))


def test_a_temporary_organisation_takes_no_members_or_transfers(
        temp: Organisation, clerk: Any, party_person: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        services.member_create(actor=clerk, person=party_person, organisation=temp, since=DAY)
    assert "原支部" in exc.value.message_dict["organisation"][0]
    member = make_member(make_branch(HECHENG, "原单位支部"))
    with pytest.raises(ValidationError):
        services.member_transfer(actor=clerk, member=member, to_organisation=temp, date=DAY)


def test_a_participant_stays_a_member_of_the_home_branch(temp: Organisation,
                                                         clerk: Any) -> None:
    home = make_branch(HECHENG, "原单位支部")
    member = make_member(home, name="书法班学员")
    client = _client(clerk)
    client.post(f"/party/organisations/{temp.pk}/participants/", {
        "person": member.person.pk, "start_date": "2025-10-01"})
    participation = Participation.objects.get()
    member.refresh_from_db()
    assert participation.member == member and member.organisation == home
    assert selectors.member_counts(Organisation.objects.filter(pk=home.pk))["active"] == 1
    assert selectors.member_counts(Organisation.objects.filter(pk=temp.pk))["active"] == 0
    page = client.get(f"/party/organisations/{temp.pk}/").content.decode()
    assert "书法班学员" in page and "原单位支部" in page
    # The temporary organisation's meetings are marked for its participants.
    form = client.get("/party/meetings/new/", {"organisation": temp.pk}).content.decode()
    assert "书法班学员" in form
    response = client.post("/party/meetings/new/", {
        "organisation": temp.pk, "kind": "theme_day", "date": "2026-03-05", "topic": "临帖",
        f"att-{member.pk}": "present"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert member.attendance.get().meeting.organisation == temp
    # A transfer of the home branch leaves the participation alone.
    services.member_transfer(actor=clerk, member=member,
                             to_organisation=make_branch(HECHENG, "新居社区支部"), date=DAY)
    assert Participation.objects.filter(member=member, end_date__isnull=True).exists()


def test_only_participants_are_marked_and_added_once(temp: Organisation, clerk: Any) -> None:
    home = make_branch(HECHENG, "原单位支部")
    inside, outside = make_member(home, name="参加者"), make_member(home, name="局外人")
    services.participant_add(actor=clerk, organisation=temp, member=inside, start_date=DAY)
    with pytest.raises(ValidationError):
        services.participant_add(actor=clerk, organisation=temp, member=inside, start_date=DAY)
    with pytest.raises(ValidationError) as exc:
        services.meeting_record(actor=clerk, data={
            "organisation": temp, "kind": "theme_day", "date": DAY, "topic": "x"},
            attendance=[(outside, "present", "")])
    assert "局外人" in str(exc.value)
    with pytest.raises(ValidationError):
        services.participant_add(actor=clerk, organisation=home, member=outside,
                                 start_date=DAY)


def test_dissolving_ends_participations_and_death_ends_them_too(temp: Organisation,
                                                                clerk: Any) -> None:
    home = make_branch(HECHENG, "原单位支部")
    a, b = make_member(home), make_member(home)
    for m in (a, b):
        services.participant_add(actor=clerk, organisation=temp, member=m, start_date=DAY)
    services.member_end(actor=clerk, member=b, date=datetime.date(2026, 4, 1), reason="death")
    assert Participation.objects.get(member=b).end_date == datetime.date(2026, 4, 1)
    services.organisation_reorganise(actor=clerk, organisation=temp, kind="dissolve",
                                     date=datetime.date(2026, 5, 1))
    assert Participation.objects.get(member=a).end_date == datetime.date(2026, 5, 1)
    a.refresh_from_db()
    assert a.status == "active" and a.organisation == home


@pytest.mark.django_db(transaction=True)
def test_migration_moves_members_of_temporary_organisations_home_and_back() -> None:
    from django.core.management import call_command

    from hongxia.party.models import Transfer

    call_command("migrate", "party", "0003", verbosity=0)
    home = make_branch(HECHENG, "原单位支部")
    temp = make_branch(HECHENG, "临时党组织", kind="temporary", start=datetime.date(2024, 1, 1))
    moved = make_member(home, name="调入临时")
    Transfer.objects.create(member=moved, from_organisation=home, to_organisation=temp,
                            date=datetime.date(2024, 3, 1))
    Member.objects.filter(pk=moved.pk).update(organisation=temp,
                                              since=datetime.date(2024, 3, 1))
    call_command("migrate", "party", "0004", verbosity=0)
    moved.refresh_from_db()
    assert moved.organisation == home
    assert Participation.objects.get(member=moved).organisation == temp
    assert [(t.from_organisation, t.to_organisation) for t in
            Transfer.objects.filter(member=moved).order_by("id")] == [(home, temp), (temp, home)]
    call_command("migrate", "party", "0003", verbosity=0)
    moved.refresh_from_db()
    assert moved.organisation == temp and not Participation.objects.exists()
    assert Transfer.objects.filter(member=moved).count() == 1
    call_command("migrate", verbosity=0)


def test_a_temporary_organisation_still_holding_members_is_flagged(
        temp: Organisation, clerk: Any) -> None:
    make_member(temp, name="旧数据党员")  # as left by the migration when no home was known
    page = _client(clerk).get(f"/party/organisations/{temp.pk}/").content.decode()
    assert "旧数据党员" in page
    assert "仍有正式党员" in page
