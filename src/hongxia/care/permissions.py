"""What each role may do in care work; merged by hongxia.core.auth.role_permissions()."""

from __future__ import annotations

_READ = {
    "care.view_visitrule",
    "care.view_visittask",
    "care.view_visit",
    "care.view_leader",
    "care.view_pairing",
    "care.view_serviceplan",
    "care.view_aidprogramme",
    "care.view_aidpayment",
    "care.view_ceremony",
    "care.view_honoree",
}
_CLERK = _READ | {
    "care.add_visittask",
    "care.change_visittask",
    "care.add_visit",
    "care.add_leader",
    "care.change_leader",
    "care.add_pairing",
    "care.change_pairing",
    "care.add_serviceplan",
    "care.add_aidprogramme",
    "care.change_aidprogramme",
    "care.add_aidpayment",
    "care.approve_aidpayment",
    "care.pay_aidpayment",
    "care.export_aidpayment",
    "care.add_ceremony",
    "care.change_ceremony",
}
ROLE_PERMISSIONS: dict[str, set[str]] = {
    "city_admin": _CLERK | {"care.manage_rules", "care.approve_aidprogramme"},
    "county_clerk": _CLERK,
    "leader": _READ | {"care.export_aidpayment"},
    # Scoped to the branch: the tasks the branch owns for its current members, and their visits.
    "branch_secretary": {
        "care.view_visittask",
        "care.change_visittask",
        "care.view_visit",
        "care.add_visit",
    },
}

ROLE_CARE_PERMISSIONS = ROLE_PERMISSIONS
