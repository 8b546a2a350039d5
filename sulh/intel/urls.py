from django.urls import path

from . import views

app_name = "intel"

urlpatterns = [
    path("", views.reports, name="reports"),
    path("<str:ref>", views.report, name="report"),
    path("<str:ref>/ack", views.acknowledge, name="ack"),
]
