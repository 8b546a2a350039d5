from django.urls import path

from . import views

app_name = "hotline"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("inbox", views.inbox_list, name="inbox_list"),
    path("compose", views.compose, name="compose"),
    path("posts/<str:post>/duty", views.duty, name="duty"),
    path("messages/<str:code>", views.message, name="message"),
    path("messages/<str:code>/acknowledge", views.acknowledge, name="acknowledge"),
    path("messages/<str:code>/resolve", views.resolve, name="resolve"),
]
