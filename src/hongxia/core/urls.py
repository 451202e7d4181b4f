from django.contrib.auth import views as auth_views
from django.urls import path

from hongxia.core import views

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("audit/", views.AuditListView.as_view(), name="audit"),
    path("audit/export.xlsx", views.AuditExportView.as_view(), name="audit-export"),
]
