"""The site's URLs plus one bare view: the baseline the registry page is measured against."""

from django.http import HttpResponse
from django.urls import include, path


def bare(request):  # type: ignore[no-untyped-def]
    return HttpResponse("ok")


urlpatterns = [path("bare/", bare), path("", include("hongxia.urls"))]
