"""What each role may do with statistics; merged by hongxia.core.auth.role_permissions()."""

READ = {"reports.view_statistics", "reports.export_statistics", "reports.view_filedreport"}
ALL = READ | {"reports.add_filedreport"}

ROLE_PERMISSIONS: dict[str, set[str]] = {
    "city_admin": ALL,
    "county_clerk": ALL,
    "leader": READ,
}
