"""The default visit rules of DOMAIN.md (五必访, 两定访, milestone birthdays); editable data."""

from django.db import migrations

CITY = "431200"
ALL_MODES = ["home", "hospital"]
DEFAULT_RULES = [
    # code, name, trigger, fields
    (
        "hospital",
        "住院或重病必访",
        "event",
        {
            "event_kinds": ["hospitalised", "serious_illness"],
            "days_after": 3,
            "contact_modes": ["hospital", "home"],
            "amount_schedule": [150, 100, 50],
            "order": 10,
        },
    ),
    (
        "discharge",
        "出院七日内回访",
        "event",
        {
            "event_kinds": ["discharged"],
            "days_after": 7,
            "contact_modes": ["home", "phone"],
            "order": 11,
        },
    ),
    (
        "hardship",
        "生活困难必访",
        "event",
        {"event_kinds": ["hardship"], "days_after": 7, "contact_modes": ["home"], "order": 12},
    ),
    (
        "misfortune",
        "家庭重大变故必访",
        "event",
        {
            "event_kinds": ["bereavement", "disaster"],
            "days_after": 7,
            "contact_modes": ["home"],
            "order": 13,
        },
    ),
    (
        "death",
        "去世吊唁慰问家属",
        "event",
        {"event_kinds": ["death"], "days_after": 3, "contact_modes": ["home"], "order": 14},
    ),
    (
        "spring",
        "春节走访慰问",
        "festival",
        {"festival": "spring", "days_before": 10, "contact_modes": ALL_MODES, "order": 20},
    ),
    (
        "chongyang",
        "重阳节走访慰问",
        "festival",
        {"festival": "chongyang", "days_before": 10, "contact_modes": ALL_MODES, "order": 21},
    ),
    (
        "birthday",
        "逢五逢十生日慰问",
        "birthday",
        {
            "min_age": 70,
            "days_before": 7,
            "birthday_calendar": "person",
            "contact_modes": ["home", "hospital", "phone"],
            "order": 30,
        },
    ),
    (
        "lixiu_pair",
        "离休干部结对领导定期走访",
        "periodic",
        {
            "times_per_year": 2,
            "categories": ["lixiu"],
            "owner": "leader",
            "contact_modes": ALL_MODES,
            "order": 40,
        },
    ),
    (
        "yearly",
        "退休干部及遗属年度走访",
        "periodic",
        {
            "times_per_year": 1,
            "categories": ["tuixiu", "survivor"],
            "owner": "county",
            "contact_modes": ["home", "hospital", "phone"],
            "order": 41,
        },
    ),
    (
        "alone_quarterly",
        "独居老人每季联系",
        "periodic",
        {
            "times_per_year": 4,
            "tags": ["living_alone"],
            "contact_modes": ["home", "phone"],
            "active": False,
            "order": 42,
        },
    ),
    (
        "winter",
        "冬送温暖",
        "solar_date",
        {
            "month": 1,
            "day": 20,
            "days_before": 19,
            "tags": ["extreme_hardship"],
            "contact_modes": ["home"],
            "active": False,
            "order": 50,
        },
    ),
]


def load(apps, schema_editor):
    Rule = apps.get_model("care", "VisitRule")
    Region = apps.get_model("core", "Region")
    if not Region.objects.filter(code=CITY).exists():
        return
    for code, name, trigger, fields in DEFAULT_RULES:
        Rule.objects.update_or_create(
            code=code, defaults={"name": name, "trigger": trigger, "region_id": CITY, **fields}
        )


def unload(apps, schema_editor):
    apps.get_model("care", "VisitRule").objects.filter(
        code__in=[r[0] for r in DEFAULT_RULES], tasks__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("care", "0001_initial"), ("core", "0002_regions_and_audit_guard")]
    operations = [migrations.RunPython(load, unload)]
