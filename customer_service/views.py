from django.apps import apps
from django.http import Http404, JsonResponse
from django.shortcuts import render

from suite.portal.access import staff_required
from suite.portal.pages import module_home
from suite.telephony.selectors import call_get
from suite.tenancy.models import Role

from .calls import PRODUCT, live_call_state


def home(request):
    return module_home(request, apps.get_app_config("customer_service"))


# --- Live call (agent workspace): the page; events arrive over ws-cs-agent -----------------
@staff_required(roles=(Role.TENANT_ADMIN, Role.CS_AGENT, Role.CS_SUPERVISOR))
def live_call(request):
    """`?call=<id>` picks a call (another tenant's id is a 404, like a missing one);
    `&format=json` returns the state the page re-reads after a missed event."""
    call_id = request.GET.get("call", "")
    call = call_get(tenant=request.tenant, call_id=call_id, product=PRODUCT) if call_id else None
    if call_id and call is None:
        raise Http404
    state = live_call_state(tenant=request.tenant, call=call)
    if request.GET.get("format") == "json":
        return JsonResponse(state)
    return render(request, "customer_service/live_call.html", {"state": state})
