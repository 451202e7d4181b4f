"""Members held in a temporary organisation go back to their home branch and take part in
the temporary organisation as participants (临时党组织 holds no formal membership).

The home branch is the one the member was transferred from into the temporary organisation,
else the nearest branch above it. A member with neither is left where they are (the branch
rules list names them) rather than guessed into some branch. Reversible: the rows this makes
carry `MARK` and are undone exactly.
"""

import datetime

from django.db import migrations

MARK = "迁移：临时党组织不转组织关系"
HOME_KINDS = ("general_branch", "branch")


def forward(apps, schema_editor):
    Member = apps.get_model("party", "Member")
    Organisation = apps.get_model("party", "Organisation")
    Participation = apps.get_model("party", "Participation")
    Transfer = apps.get_model("party", "Transfer")
    for member in Member.objects.filter(organisation__kind="temporary").iterator():
        temp = Organisation.objects.get(pk=member.organisation_id)
        came = (
            Transfer.objects.filter(member=member, to_organisation=temp)
            .order_by("-date", "-id").first()
        )
        home = None
        if came is not None:
            source = Organisation.objects.get(pk=came.from_organisation_id)
            home = source if source.kind in HOME_KINDS else None
        node = temp
        while home is None and node.parent_id is not None:
            node = Organisation.objects.get(pk=node.parent_id)
            home = node if node.kind in HOME_KINDS else None
        ended = member.end_date
        if temp.end_date is not None and temp.end_date < datetime.date.today():
            ended = min(ended or temp.end_date, temp.end_date)
        if ended is not None:
            ended = max(ended, member.since)
        Participation.objects.create(organisation=temp, member=member, start_date=member.since,
                                     end_date=ended, note=MARK)
        if home is None:
            continue
        Transfer.objects.create(member=member, from_organisation=temp, to_organisation=home,
                                date=member.since, reason=MARK)
        member.organisation = home
        member.group = None
        member.save(update_fields=["organisation", "group"])


def backward(apps, schema_editor):
    Member = apps.get_model("party", "Member")
    Participation = apps.get_model("party", "Participation")
    Transfer = apps.get_model("party", "Transfer")
    for transfer in Transfer.objects.filter(reason=MARK).iterator():
        Member.objects.filter(pk=transfer.member_id).update(
            organisation_id=transfer.from_organisation_id, since=transfer.date)
    Transfer.objects.filter(reason=MARK).delete()
    Participation.objects.filter(note=MARK).delete()


class Migration(migrations.Migration):
    dependencies = [("party", "0003_participants_transfer_requests")]
    operations = [migrations.RunPython(forward, backward)]
