from django.apps import apps

from suite.portal.pages import module_home


def home(request):
    return module_home(request, apps.get_app_config("gov_hotline"))
