from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from .health import health
from .root import ApiRootView, LocalRedocView, redoc_bundle

admin.site.site_header = _("Exitus")
admin.site.site_title = _("Exitus")
admin.site.index_title = _("Painel de operações")

handler400 = "exitus.api.errors.bad_request"
handler404 = "exitus.api.errors.not_found"
handler500 = "exitus.api.errors.server_error"

api_v1 = [
    path("", ApiRootView.as_view(), name="api-root"),
    path("", include("accounts.api.urls")),
    path("", include("portfolio.api.urls")),
    path("", include("quotes.api.urls")),
    path("billing/", include("billing_rpa.api.urls")),
    path("", include("scheduling.api.urls")),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False), name="home"),
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", LocalRedocView.as_view(url_name="schema"), name="redoc"),
    path("api/redoc/redoc.standalone.js", redoc_bundle, name="redoc-bundle"),
    path("api/v1/", include((api_v1, "api"), namespace="v1")),
    path("api-auth/", include("rest_framework.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
