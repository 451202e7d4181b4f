from django.urls import path

from hongxia.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("annual/", views.AnnualView.as_view(), name="annual"),
    path("annual/export.xlsx", views.AnnualExportView.as_view(fmt="xlsx"), name="annual-xlsx"),
    path("annual/export.pdf", views.AnnualExportView.as_view(fmt="pdf"), name="annual-pdf"),
    path("annual/file/", views.FileReportView.as_view(), name="file"),
    path("drill/", views.DrillView.as_view(), name="drill"),
    path("drill/export.xlsx", views.DrillView.as_view(export=True), name="drill-xlsx"),
    path("compare/", views.CompareView.as_view(), name="compare"),
    path("filed/", views.FiledListView.as_view(), name="filed-list"),
    path("filed/export.xlsx", views.FiledListView.as_view(export=True), name="filed-list-xlsx"),
    path("filed/<int:pk>/", views.FiledDetailView.as_view(), name="filed-detail"),
    path("filed/<int:pk>/compare/", views.FiledCompareView.as_view(), name="filed-compare"),
    path("filed/<int:pk>/rows/", views.FiledRowsView.as_view(), name="filed-rows"),
    path("filed/<int:pk>/rows.xlsx", views.FiledRowsView.as_view(export=True),
         name="filed-rows-xlsx"),
    path("filed/<int:pk>/export.xlsx", views.FiledExportView.as_view(fmt="xlsx"),
         name="filed-xlsx"),
    path("filed/<int:pk>/export.pdf", views.FiledExportView.as_view(fmt="pdf"),
         name="filed-pdf"),
]
