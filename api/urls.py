from django.urls import path

from api import views

urlpatterns = [
    path("", views.token_list, name="api_tokens"),
    path("<int:pk>/revoquer/", views.token_revoke_view, name="api_token_revoke"),
]
