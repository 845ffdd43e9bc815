from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from suite.api.errors import json_error


def _wants_json(request) -> bool:
    return request.path.startswith(("/api/", "/v1/"))


def not_found(request, exception=None):
    if _wants_json(request):
        return json_error(404, "not_found", _("Not found."))
    return render(
        request, "portal/error.html", {"code": 404, "message": _("Page not found.")}, status=404
    )


def server_error(request):
    if _wants_json(request):
        return json_error(500, "server_error", _("Internal error; it has been logged."))
    # No request context: if the database caused the 500, the context processors would fail too.
    body = render_to_string(
        "portal/error.html",
        {"code": 500, "message": _("Something went wrong; it has been logged.")},
    )
    return HttpResponseServerError(body)
