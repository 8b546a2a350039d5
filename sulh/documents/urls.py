from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("", views.documents, name="list"),
    path("new", views.new, name="new"),
    path("<str:ref>", views.document, name="document"),
    path("<str:ref>/amend", views.amend, name="amend"),
    path("<str:ref>/v<int:number>/edit", views.edit, name="edit"),
    path("<str:ref>/v<int:number>/freeze", views.freeze, name="freeze"),
    path("<str:ref>/v<int:number>/sign", views.sign, name="sign"),
    path("<str:ref>/v<int:number>/text", views.text, name="text"),
    path("<str:ref>/v<int:number>/signed", views.signed, name="signed"),
]
