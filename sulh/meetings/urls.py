from django.urls import path

from . import views

app_name = "meetings"

urlpatterns = [
    path("", views.meetings, name="list"),
    path("new", views.new, name="new"),
    path("<str:ref>", views.meeting, name="meeting"),
]
