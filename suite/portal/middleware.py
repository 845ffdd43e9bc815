from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class PortalLocaleMiddleware(LocaleMiddleware):
    """Portal pages are Chinese unless the user chose English (language cookie).

    API callers keep Accept-Language negotiation, so an integrator can ask for English errors.
    """

    api_prefixes = ("/api/", "/v1/")

    def process_request(self, request):
        if request.path.startswith(self.api_prefixes):
            return super().process_request(request)
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
