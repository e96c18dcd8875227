from django.contrib import admin
from django.urls import include, path

from aap.health import health
from api.v1 import api
from search.views import search_page

urlpatterns = [
    path("admin/", admin.site.urls),
    # For load balancers: no login, and plain HTTP is answered (SECURE_REDIRECT_EXEMPT).
    path("sante/", health, name="health"),
    path("api/v1/", api.urls),
    path("compte/jetons/", include("api.urls")),
    path("recherche/", search_page, name="search"),
    path("compte/mot-de-passe/", include("front.accounts")),
    path("", include("front.urls")),
]
