from rest_framework.permissions import BasePermission


class RolePermission(BasePermission):
    def has_permission(self, request, view):  # type: ignore[no-untyped-def]
        return bool(request.user and request.user.is_authenticated)
