"""Page helpers product modules reuse, so each module page looks and behaves the same."""

from typing import TYPE_CHECKING

from django.shortcuts import render

from suite.jobs.selectors import jobs_for

from .access import staff_required

if TYPE_CHECKING:
    from suite.products import ProductConfig


def module_home(request, config: "ProductConfig"):
    @staff_required(roles=config.roles)
    def page(request):
        jobs = jobs_for(tenant=request.tenant, kind_prefix=f"{config.label}.")[:20]
        template = [f"{config.label}/home.html", "portal/module_home.html"]
        return render(request, template, {"module": config, "jobs": jobs})

    return page(request)
