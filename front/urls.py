from django.contrib.auth import views as auth_views
from django.urls import path

from front import views

urlpatterns = [
    path("", views.home, name="home"),
    path("dossiers/<int:pk>/", views.dossier_detail, name="dossier_detail"),
    path("connexion/", auth_views.LoginView.as_view(), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
]
