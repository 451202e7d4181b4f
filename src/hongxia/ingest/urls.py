from django.urls import path

from hongxia.ingest import views

app_name = "ingest"
urlpatterns = [
    path("", views.JobListView.as_view(), name="jobs"),
    path("<int:pk>/", views.JobDetailView.as_view(), name="job"),
    path("<int:pk>/confirm/", views.JobConfirmView.as_view(), name="confirm"),
    path("<int:pk>/restart/", views.JobRestartView.as_view(), name="restart"),
    path("<int:pk>/sheet/", views.JobSheetView.as_view(), name="sheet"),
    path("<int:pk>/report.xlsx", views.JobReportView.as_view(), name="report"),
    path("duplicates/", views.MergeListView.as_view(), name="duplicates"),
    path("duplicates/<int:pk>/", views.MergeDetailView.as_view(), name="duplicate"),
    path("duplicates/<int:pk>/decide/", views.MergeDecideView.as_view(), name="decide"),
    path("export/", views.RosterExportView.as_view(), name="export"),
    path("template.xlsx", views.BlankRosterView.as_view(), name="template"),
]
