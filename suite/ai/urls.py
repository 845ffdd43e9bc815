from django.urls import path

from . import views

app_name = "ai"

urlpatterns = [
    path("models/", views.models, name="models"),
    path("models/<int:pk>/", views.model_edit, name="model_edit"),
    path("models/<int:pk>/delete/", views.model_delete, name="model_delete"),
    path("voices/", views.voices, name="voices"),
    path("quotas/", views.quotas, name="quotas"),
    path("quotas/<int:pk>/", views.quota_edit, name="quota_edit"),
    path("quotas/<int:pk>/delete/", views.quota_delete, name="quota_delete"),
    path("aliases/", views.aliases, name="aliases"),
    path("aliases/<int:pk>/delete/", views.alias_delete, name="alias_delete"),
    path("prices/", views.prices, name="prices"),
    path("prices/<int:pk>/delete/", views.price_delete, name="price_delete"),
    path("statement/", views.statement, name="statement"),
    path("safety-terms/", views.safety_terms, name="safety_terms"),
    path("safety-terms/<int:pk>/remove/", views.safety_term_remove, name="safety_term_remove"),
    path("usage/", views.usage, name="usage"),
]
