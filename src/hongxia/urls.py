from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

urlpatterns = [
    path("", include("hongxia.core.urls")),
    path("people/", include("hongxia.people.urls")),
    path("api/openapi.json", SpectacularAPIView.as_view(), name="openapi"),
    path("api/", include("hongxia.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
