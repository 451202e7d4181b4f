from django.urls import path

from hongxia.party import views

app_name = "party"
urlpatterns = [
    path("", views.OrganisationListView.as_view(), name="org-list"),
    path("organisations.xlsx", views.OrganisationExportView.as_view(), name="org-export"),
    path("organisations/new/", views.OrganisationCreateView.as_view(), name="org-create"),
    path("organisations/<int:pk>/", views.OrganisationDetailView.as_view(), name="org-detail"),
    path("organisations/<int:pk>/edit/", views.OrganisationEditView.as_view(), name="org-edit"),
    path("organisations/<int:pk>/reorganise/", views.OrganisationReorganiseView.as_view(),
         name="org-reorganise"),
    path("organisations/<int:pk>/committee/", views.CommitteeSeatAddView.as_view(),
         name="org-committee"),
    path("organisations/<int:pk>/rating/", views.RatingAddView.as_view(), name="org-rating"),
    path("members/", views.MemberListView.as_view(), name="member-list"),
    path("members.xlsx", views.MemberExportView.as_view(), name="member-export"),
    path("members/new/", views.MemberCreateView.as_view(), name="member-create"),
    path("members/<int:pk>/", views.MemberDetailView.as_view(), name="member-detail"),
    path("members/<int:pk>/flowing/", views.MemberFlowingView.as_view(), name="member-flowing"),
    path("members/<int:pk>/transfer/", views.MemberTransferView.as_view(),
         name="member-transfer"),
    path("members/<int:pk>/end/", views.MemberEndView.as_view(), name="member-end"),
    path("meetings/", views.MeetingListView.as_view(), name="meeting-list"),
    path("meetings.xlsx", views.MeetingExportView.as_view(), name="meeting-export"),
    path("meetings/new/", views.MeetingCreateView.as_view(), name="meeting-create"),
    path("meetings/<int:pk>/", views.MeetingDetailView.as_view(), name="meeting-detail"),
    path("ratings/", views.RatingListView.as_view(), name="rating-list"),
    path("ratings.xlsx", views.RatingExportView.as_view(), name="rating-export"),
    path("homes/", views.HomeListView.as_view(), name="home-list"),
    path("homes.xlsx", views.HomeExportView.as_view(), name="home-export"),
    path("homes/new/", views.HomeCreateView.as_view(), name="home-create"),
    path("homes/<int:pk>/", views.HomeDetailView.as_view(), name="home-detail"),
    path("homes/<int:pk>/edit/", views.HomeEditView.as_view(), name="home-edit"),
    path("compliance/", views.ComplianceView.as_view(), name="compliance"),
    path("compliance.xlsx", views.ComplianceExportView.as_view(), name="compliance-export"),
    path("requirements/", views.RequirementUpdateView.as_view(), name="requirements"),
]
