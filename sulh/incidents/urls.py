from django.urls import path

from . import views

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="list"),
    path("new/", views.new_incident, name="new"),
    path("claims/<uuid:claim_id>/file/", views.claim_file, name="claim_file"),
    path("claims/<uuid:claim_id>/withdraw/", views.claim_withdraw, name="claim_withdraw"),
    path("<str:code>/", views.incident_detail, name="detail"),
    path("<str:code>/claims/new/", views.add_claim, name="add_claim"),
    path("<str:code>/publish/", views.publish, name="publish"),
]
