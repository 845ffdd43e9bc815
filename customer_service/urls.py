from django.urls import path

from . import views

app_name = "customer_service"

urlpatterns = [
    path("", views.home, name="home"),
    path("calls/live/", views.live_call, name="live_call"),
    path("calls/<uuid:call_id>/ticket/", views.call_ticket, name="call_ticket"),
    path("queue/", views.queue, name="queue"),
    path("conversations/<int:pk>/", views.conversation, name="conversation"),
    path(
        "conversations/<int:pk>/suggest/",
        views.conversation_suggest,
        name="conversation_suggest",
    ),
    path("tickets/", views.ticket_list, name="tickets"),
    path("tickets/<int:pk>/", views.ticket, name="ticket"),
    path(
        "tickets/<int:pk>/attachments/<int:attachment_id>/",
        views.ticket_attachment,
        name="ticket_attachment",
    ),
    path("knowledge/", views.knowledge, name="knowledge"),
    path("knowledge/new/", views.article, name="article_new"),
    path("knowledge/<int:pk>/", views.article, name="article"),
    path("knowledge/categories/", views.categories_page, name="categories"),
    path("lexicon/", views.lexicon_page, name="lexicon"),
    path("skills/", views.skills_page, name="skills"),
    path("analytics/", views.analytics_page, name="analytics"),
    path("m/chat/", views.m_chat, name="m_chat"),
    path("m/tickets/", views.m_tickets, name="m_tickets"),
    path("m/tickets/<int:pk>/", views.m_ticket, name="m_ticket"),
    path(
        "m/tickets/<int:pk>/attachments/<int:attachment_id>/",
        views.m_ticket_attachment,
        name="m_ticket_attachment",
    ),
]
