from django.urls import path

from . import views

app_name = "crossings"

urlpatterns = [
    path("", views.crossing_list, name="list"),
    path("<str:code>/", views.crossing_detail, name="detail"),
]
