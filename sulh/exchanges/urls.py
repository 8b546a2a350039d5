from django.urls import path

from . import views

app_name = "exchanges"

urlpatterns = [
    path("", views.index, name="index"),
    path("<str:ref>", views.detail, name="detail"),
    path("<str:ref>/list", views.edit_list, name="list"),
]
