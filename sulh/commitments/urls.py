from django.urls import path

from . import views

app_name = "commitments"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("agreements/", views.agreements, name="agreements"),
    path("agreements/new", views.enter_agreement, name="enter_agreement"),
    path("agreements/<str:code>", views.agreement, name="agreement"),
    path("obligations/new", views.new_obligation, name="new_obligation"),
    path("obligations/<str:code>", views.obligation, name="obligation"),
]
