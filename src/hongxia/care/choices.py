"""Choice lists of care and services, next to their models."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Trigger(models.TextChoices):
    EVENT = "event", _("Life event")
    FESTIVAL = "festival", _("Lunar festival")
    BIRTHDAY = "birthday", _("Milestone birthday")
    SOLAR_DATE = "solar_date", _("Fixed date each year")
    PERIODIC = "periodic", _("Regular (定期定人)")


class Festival(models.TextChoices):
    SPRING = "spring", _("Spring Festival (春节)")
    CHONGYANG = "chongyang", _("Double Ninth (重阳节)")


# Lunar (month, day) of each festival; the solar date comes from lunar-python every year.
FESTIVAL_LUNAR_DATES: dict[str, tuple[int, int]] = {"spring": (1, 1), "chongyang": (9, 9)}


class Reckoning(models.TextChoices):
    ZHOUSUI = "zhousui", _("Full years (周岁)")
    XUSUI = "xusui", _("Nominal age (虚岁)")


class BirthdayCalendar(models.TextChoices):
    PERSON = "person", _("As the person keeps it")
    SOLAR = "solar", _("Solar")
    LUNAR = "lunar", _("Lunar")


class ContactMode(models.TextChoices):
    HOME = "home", _("Home visit")
    HOSPITAL = "hospital", _("Hospital visit")
    PHONE = "phone", _("Phone call")
    VIDEO = "video", _("Video call")
    OFFICE = "office", _("At the office")


class OwnerKind(models.TextChoices):
    COUNTY = "county", _("County bureau")
    CITY = "city", _("City bureau")
    LEADER = "leader", _("Paired leader")
    BRANCH = "branch", _("Party branch")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class LeaderStatus(models.TextChoices):
    SERVING = "serving", _("Serving")
    MOVED = "moved", _("Moved to another post")
    RETIRED = "retired", _("Retired")


class ProgrammeStatus(models.TextChoices):
    DRAFT = "draft", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    CLOSED = "closed", _("Closed")


class ProgrammeKind(models.TextChoices):
    FESTIVAL = "festival", _("Festival condolence (慰问金)")
    HARDSHIP = "hardship", _("Hardship aid (帮扶金)")
    CONDOLENCE = "condolence", _("Illness and bereavement condolence")


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    PAID = "paid", _("Paid")


# Statuses that hold budget and count as "paid from this programme in this period".
COMMITTED_STATUSES = ("approved", "paid")

# 荣誉退休 "九个一" checklist (Hunan, Dec 2021).
HONOUR_CHECKLIST: list[tuple[str, str]] = [
    ("talk", "一次谈心谈话"),
    ("ceremony", "一场荣誉退休仪式"),
    ("certificate", "一份荣誉证书"),
    ("photo", "一张合影留念"),
    ("letter", "一封感谢信"),
    ("health", "一次健康体检"),
    ("handover", "一次工作交接"),
    ("visit", "一次走访慰问"),
    ("volunteer", "加入一支志愿服务队"),
]
