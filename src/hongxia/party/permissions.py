"""What each role may do in party building; merged by hongxia.core.auth.role_permissions()."""

READ = {
    *(
        f"party.view_{model}"
        for model in (
            "organisation",
            "member",
            "meeting",
            "rating",
            "partyhome",
            "transfer",
            "committeeseat",
            "reorganisation",
            "meetingrequirement",
            "meetingattachment",
            "participation",
            "transferrequest",
        )
    ),
    "party.export_party",
}
CLERK = READ | {
    f"party.{perm}"
    for perm in (
        "add_organisation",
        "change_organisation",
        "add_member",
        "change_member",
        "add_transfer",
        "add_meeting",
        "change_meeting",
        "delete_meeting",
        "add_meetingattachment",
        "delete_meetingattachment",
        "add_rating",
        "add_partyhome",
        "change_partyhome",
    )
}
SECRETARY = {
    "party.view_organisation",
    "party.view_member",
    "party.change_member",
    "party.view_meeting",
    "party.add_meeting",
    "party.change_meeting",
    "party.delete_meeting",
    "party.add_meetingattachment",
    "party.delete_meetingattachment",
    "party.view_rating",
    "party.view_partyhome",
}

ROLE_PERMISSIONS: dict[str, set[str]] = {
    "city_admin": CLERK | {"party.change_meetingrequirement"},
    "county_clerk": CLERK,
    "leader": READ,
    "branch_secretary": SECRETARY,
}
