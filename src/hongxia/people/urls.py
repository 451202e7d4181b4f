from django.urls import path

from hongxia.people import views

app_name = "people"
urlpatterns = [
    path("", views.PersonListView.as_view(), name="list"),
    path("export.xlsx", views.PersonExportView.as_view(), name="export"),
    path("tags/", views.TagListView.as_view(), name="tags"),
    path("new/", views.PersonCreateView.as_view(), name="create"),
    path("<int:pk>/", views.PersonDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.PersonEditView.as_view(), name="edit"),
    path("<int:pk>/death/", views.PersonDeathView.as_view(), name="death"),
    path("<int:pk>/reveal/<str:field>/", views.PersonRevealView.as_view(), name="reveal"),
    path("<int:pk>/contacts/", views.ContactAddView.as_view(), name="contact-add"),
    path("contacts/<int:pk>/delete/", views.ContactDeleteView.as_view(), name="contact-delete"),
]
