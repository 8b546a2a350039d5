from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog

from sulh.api import api
from sulh.hotline import live
from sulh.ledger import views_log


def healthz(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("", RedirectView.as_view(pattern_name="incidents:list", permanent=False)),
    path("api/v1/", api.urls),
    path("accounts/", include("sulh.accounts.urls")),
    path("incidents/", include("sulh.incidents.urls")),
    path("evidence/", include("sulh.evidence.urls")),
    path("map/", include("sulh.geo.urls")),
    path("ledger/", include("sulh.ledger.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("hotline/stream", live.stream, name="hotline-stream"),
    path("hotline/", include("sulh.hotline.urls")),
    path("protocols/", include("sulh.protocols.urls")),
    path("verification/", include("sulh.verification.urls")),
    path("commitments/", include("sulh.commitments.urls")),
    path("crossings/", include("sulh.crossings.urls")),
    path("exchanges/", include("sulh.exchanges.urls")),
    path("meetings/", include("sulh.meetings.urls")),
    path("documents/", include("sulh.documents.urls")),
    path("intel/", include("sulh.intel.urls")),
    path("media/", include("sulh.media.urls")),
    path("healthz", healthz),
    path("log/checkpoint", views_log.checkpoint, name="log-checkpoint"),
    path("log/tile/<path:path>", views_log.tile, name="log-tile"),
]
