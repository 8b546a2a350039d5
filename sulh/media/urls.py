from django.urls import path

from . import views

app_name = "media"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("add", views.add, name="add"),
    path("feeds", views.feeds, name="feeds"),
    path("feeds/<uuid:feed_id>/poll", views.poll, name="poll"),
    path("candidates/<uuid:candidate_id>/decide", views.decide, name="decide"),
    path("<str:ref>", views.article, name="article"),
]
