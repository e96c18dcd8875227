from django.contrib import admin
from django.urls import include, path

from api.v1 import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("compte/jetons/", include("api.urls")),
    path("", include("front.urls")),
]
