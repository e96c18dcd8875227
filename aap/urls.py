from django.contrib import admin
from django.urls import include, path

from api.v1 import api
from search.views import search_page

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("compte/jetons/", include("api.urls")),
    path("recherche/", search_page, name="search"),
    path("compte/mot-de-passe/", include("front.accounts")),
    path("", include("front.urls")),
]
