from django.urls import path

from . import views

app_name = "geo"

urlpatterns = [
    path("", views.map_view, name="map"),
    path("locate/", views.locate_view, name="locate"),
]
