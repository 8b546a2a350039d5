from django.urls import path

from . import views

app_name = "verification"

urlpatterns = [
    path("complaints/", views.complaints, name="complaints"),
    path("complaints/new", views.lodge, name="lodge"),
    path("complaints/<str:ref>", views.complaint, name="complaint"),
]
