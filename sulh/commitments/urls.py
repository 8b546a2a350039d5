from django.urls import path  # noqa: F401 -- the console pages are added here

app_name = "commitments"

urlpatterns: list = []
