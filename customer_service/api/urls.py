from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter(trailing_slash=True)
router.register("lexicon", views.LexiconViewSet, basename="cs-lexicon")
router.register("agent-skills", views.AgentSkillViewSet, basename="cs-agent-skill")
router.register("kb/categories", views.CategoryViewSet, basename="cs-category")
router.register("kb/articles", views.ArticleViewSet, basename="cs-article")
router.register("conversations", views.ConversationViewSet, basename="cs-conversation")
router.register("chat", views.ChatViewSet, basename="cs-chat")
router.register("my-tickets", views.MyTicketViewSet, basename="cs-my-ticket")
router.register("tickets", views.TicketViewSet, basename="cs-ticket")

urlpatterns = [
    path("dialect/identify", views.DialectIdentifyView.as_view(), name="cs-dialect-identify"),
    path("assist/", views.AssistView.as_view(), name="cs-assist"),
    path("kb/search/", views.KnowledgeSearchView.as_view(), name="cs-kb-search"),
    path("analytics/", views.AnalyticsView.as_view(), name="cs-analytics"),
    *router.urls,
]
