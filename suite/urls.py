from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from suite.api.health import healthz
from suite.products import has_module, product_apps

api_v1 = [path("", include("suite.api.urls")), path("ai/", include("suite.ai.api.urls"))]
products = []
for config in product_apps():
    if has_module(config, "api.urls"):
        api_v1.append(path(f"{config.url_prefix}/", include(f"{config.name}.api.urls")))
    products.append(path(f"{config.url_prefix}/", include(f"{config.name}.urls")))

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("v1/", include("suite.ai.openai_api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its init script as a file: the CSP allows no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("admin/ai/", include("suite.ai.urls")),
    path("", include("suite.portal.urls")),
    *products,
]

handler404 = "suite.portal.errors.not_found"
handler500 = "suite.portal.errors.server_error"
