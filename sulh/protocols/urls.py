from django.urls import path

from . import views

app_name = "protocols"

urlpatterns = [
    path("", views.tasks_due, name="due"),
    path("tasks/<uuid:task_id>", views.task, name="task"),
    path("runs/<uuid:run_id>", views.run, name="run"),
    path("compliance", views.compliance, name="compliance"),
]
