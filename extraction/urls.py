from django.urls import path

from . import views

app_name = "extraction"

urlpatterns = [
    path("", views.upload, name="upload"),
    path("jobs/<uuid:pk>/", views.job_detail, name="job"),
    path("jobs/<uuid:pk>/status", views.job_status, name="job-status"),
    path("jobs/<uuid:pk>/resume.json", views.job_resume_json, name="job-json"),
    path("jobs/<uuid:pk>/cancel", views.job_cancel, name="job-cancel"),
]
