"""The `care_taskrow` view: stored visit tasks, and the tasks campaigns derive for the people
they cover (`models.TaskRow`).

A campaign covers the people of its region range whose category and birth date match its
columns: the living, and as cancelled those who died on or after the day it was planned (as a
death cancels a stored task). A person who died before it was planned has no task in it, nor
has one registered after its window closed (`admits_until`). Their owner is worked out as the
planner does for a stored task (`services._owner_exprs`): the rule's owner, or its owner for
people living elsewhere; the county bureau (the city for a city-owned rule); the paired leader
as of now. A person with a stored task for the same rule and occurrence is left out of the
derived half, so each task appears once. The join on the county code lets PostgreSQL hash the
campaigns and read the people once.

The view is dropped before every migrate and created after it (`apps.CareConfig`): a migration
may rebuild a table it reads (SQLite) or change a column type under it (PostgreSQL), which
neither database allows while the view exists. Written once for both: `||`, `substr`, `CASE`,
`LIKE` and comparisons as booleans mean the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from django.db import connections

from hongxia.care.models import DERIVED_ID_BASE

VIEW = "care_taskrow"

_COLUMNS = (
    "id, rule_id, person_id, region_id, period_key, opens, due, owner, owner_region_id, "
    "owner_leader_id, assignee_id, status, visit_id, created_at"
)

_EFFECTIVE_OWNER = (
    "CASE WHEN p.lives_elsewhere AND c.owner_elsewhere <> '' "
    "THEN c.owner_elsewhere ELSE c.owner END"
)

# Built from constants only: no input reaches this text.
SELECT_SQL = f"""
SELECT {_COLUMNS}, (1 = 0) AS derived FROM care_visittask
UNION ALL
SELECT
    c.id * {DERIVED_ID_BASE} + p.id,
    c.rule_id,
    p.id,
    p.region_id,
    c.period_key,
    c.opens,
    c.due,
    {_EFFECTIVE_OWNER},
    CASE WHEN ({_EFFECTIVE_OWNER}) = 'city'
        THEN substr(p.region_id, 1, 4) || '00' ELSE substr(p.region_id, 1, 6) END,
    CASE WHEN c.owner = 'leader' OR c.owner_elsewhere = 'leader' THEN (
        SELECT pr.leader_id FROM care_pairing pr
        WHERE pr.person_id = p.id AND pr.active LIMIT 1
    ) END,
    NULL,
    CASE WHEN p.life_status = 'alive' THEN 'open' ELSE 'cancelled' END,
    NULL,
    c.created_at,
    (1 = 1)
FROM care_visitcampaign c
JOIN people_person p
    ON substr(p.region_id, 1, 6) = c.region_id AND p.region_id >= c.lo AND p.region_id < c.hi
WHERE (p.life_status = 'alive' OR p.death_date >= c.planned_on)
    AND p.created_at < c.admits_until
    AND (c.categories = '' OR c.categories LIKE '%,' || p.category || ',%')
    AND (c.born_after IS NULL OR p.birth_date > c.born_after)
    AND (c.born_by IS NULL OR p.birth_date <= c.born_by)
    AND NOT EXISTS (
        SELECT 1 FROM care_visittask t
        WHERE t.rule_id = c.rule_id AND t.person_id = p.id AND t.period_key = c.period_key
    )
"""  # noqa: S608


def drop(using: str = "default") -> None:
    with connections[using].cursor() as cursor:
        cursor.execute(f"DROP VIEW IF EXISTS {VIEW}")


def create(using: str = "default") -> None:
    """(Re)create the view; a no-op until the tables it reads exist."""
    connection = connections[using]
    tables = set(connection.introspection.table_names())
    if not {"care_visittask", "care_visitcampaign", "care_pairing", "people_person"} <= tables:
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DROP VIEW IF EXISTS {VIEW}")
        cursor.execute(f"CREATE VIEW {VIEW} AS {SELECT_SQL}")
