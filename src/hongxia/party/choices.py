"""Choice lists of party building, in one place next to the models."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgKind(models.TextChoices):
    COMMITTEE = "committee", _("Party committee (党委)")
    GENERAL_BRANCH = "general_branch", _("General branch (党总支)")
    BRANCH = "branch", _("Branch (党支部)")
    GROUP = "group", _("Party group (党小组)")
    TEMPORARY = "temporary", _("Temporary organisation (临时党组织)")


# Kinds that hold members and meet by the 三会一课 rhythm ("branches" in compliance figures).
BRANCH_KINDS = (OrgKind.GENERAL_BRANCH, OrgKind.BRANCH, OrgKind.TEMPORARY)


class Basis(models.TextChoices):
    UNIT = "unit", _("Former unit")
    COMMUNITY = "community", _("Residence community")
    ELSEWHERE = "elsewhere", _("Members living elsewhere")


class MemberStatus(models.TextChoices):
    ACTIVE = "active", _("Member")
    ENDED = "ended", _("Membership ended")


class EndReason(models.TextChoices):
    DEATH = "death", _("Death")
    TRANSFERRED_OUT = "transferred_out", _("Transferred out of the system")
    OTHER = "other", _("Other")


class MeetingKind(models.TextChoices):
    GENERAL_MEETING = "general_meeting", _("Branch members' meeting (支部党员大会)")
    COMMITTEE_MEETING = "committee_meeting", _("Branch committee meeting (支委会)")
    GROUP_MEETING = "group_meeting", _("Party group meeting (党小组会)")
    LECTURE = "lecture", _("Party lecture (党课)")
    MICRO_LECTURE = "micro_lecture", _("Micro party lecture (微党课)")
    THEME_DAY = "theme_day", _("Theme party day (主题党日)")
    LIFE_MEETING = "life_meeting", _("Organisation life meeting (组织生活会)")
    APPRAISAL = "appraisal", _("Democratic appraisal of members (民主评议党员)")
    MICRO_REFLECTION = "micro_reflection", _("Micro reflection (微体会)")
    MICRO_SUGGESTION = "micro_suggestion", _("Micro suggestion (微建言)")
    MICRO_SHOW = "micro_show", _("Micro performance (微节目)")


class Attendance(models.TextChoices):
    PRESENT = "present", _("Present")
    ABSENT = "absent", _("Absent")
    EXCUSED_HEALTH = "excused_health", _("Excused for health")
    HOME_STUDY = "home_study", _("Study brought home (送学上门)")


# 送学上门 counts as taking part (DOMAIN.md).
ATTENDED = (Attendance.PRESENT, Attendance.HOME_STUDY)


class Per(models.TextChoices):
    MONTH = "month", _("a month")
    QUARTER = "quarter", _("a quarter")
    YEAR = "year", _("a year")


class RatingLevel(models.TextChoices):
    PROVINCIAL = "provincial", _("Provincial demonstration branch (省级示范)")
    MUNICIPAL = "municipal", _("Municipal demonstration branch (市级示范)")


class CommitteeRole(models.TextChoices):
    SECRETARY = "secretary", _("Secretary")
    DEPUTY = "deputy", _("Deputy secretary")
    ORGANISATION = "organisation", _("Organisation member")
    PROPAGANDA = "propaganda", _("Propaganda member")
    DISCIPLINE = "discipline", _("Discipline member")
    MEMBER = "member", _("Committee member")


class ReorgKind(models.TextChoices):
    MERGE = "merge", _("Merge")
    SPLIT = "split", _("Split")
    MOVE = "move", _("Move")
    DISSOLVE = "dissolve", _("Dissolve")


# DOMAIN.md defaults for the required frequency of organisation life; loaded as editable rows
# (MeetingRequirement) by migration 0002, never read by the compliance code itself.
DEFAULT_REQUIREMENTS: list[tuple[str, str, int, str]] = [
    *(
        (org_kind, meeting, times, per)
        for org_kind in ("general_branch", "branch", "temporary")
        for meeting, times, per in (
            ("general_meeting", 1, "quarter"),
            ("committee_meeting", 1, "month"),
            ("lecture", 1, "quarter"),
            ("theme_day", 1, "month"),
            ("life_meeting", 1, "year"),
            ("appraisal", 1, "year"),
        )
    ),
    ("group", "group_meeting", 1, "month"),
]


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting the receiving county")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Kinds that hold formal membership (counts, dues, transfers). A temporary organisation has
# participants who keep their membership in their home branch (DOMAIN.md: 临时党组织 has no
# admissions, discipline, dues or elections).
HOME_KINDS = (OrgKind.GENERAL_BRANCH, OrgKind.BRANCH)
