from django.urls import path, re_path

from . import views

app_name = "openai"

urlpatterns = [
    path("models", views.list_models, name="models"),
    path("chat/completions", views.chat_completions, name="chat-completions"),
    path("responses", views.create_response, name="responses"),
    path("embeddings", views.embeddings, name="embeddings"),
    path("moderations", views.moderations, name="moderations"),
    path("audio/transcriptions", views.audio_transcriptions, name="audio-transcriptions"),
    path("audio/speech", views.audio_speech, name="audio-speech"),
    path("images/generations", views.image_generations, name="image-generations"),
    path("images/edits", views.image_edits, name="image-edits"),
    re_path(r"^(?P<path>.*)$", views.not_found, name="not-found"),
]
