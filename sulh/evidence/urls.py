from django.urls import path

from . import views

app_name = "evidence"

urlpatterns = [
    path("upload/<str:code>/", views.upload, name="upload"),
    path("<uuid:evidence_id>/download/", views.download, name="download"),
]
