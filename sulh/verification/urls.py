from django.urls import path

from . import views, views_cases

app_name = "verification"

urlpatterns = [
    path("complaints/", views.complaints, name="complaints"),
    path("complaints/new", views.lodge, name="lodge"),
    path("complaints/<str:ref>", views.complaint, name="complaint"),
    path("board", views_cases.board, name="board"),
    path("cases/<str:ref>", views_cases.case, name="case"),
    path("compliance/<str:party>", views_cases.compliance, name="compliance"),
]
