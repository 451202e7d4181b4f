from django.urls import include, path
from drf_spectacular.views import SpectacularJSONAPIView

urlpatterns = [
    path("", include("hongxia.core.urls")),
    path("people/", include("hongxia.people.urls")),
    path("party/", include("hongxia.party.urls")),
    path("care/", include("hongxia.care.urls")),
    path("import/", include("hongxia.ingest.urls")),
    path("reports/", include("hongxia.reports.urls")),
    path("api/openapi.json", SpectacularJSONAPIView.as_view(), name="openapi"),
    path("api/", include("hongxia.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
