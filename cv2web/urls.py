"""URL map of cv2web: one mount point per app."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    # Staff: the Django admin.
    path("admin/", admin.site.urls),
]
