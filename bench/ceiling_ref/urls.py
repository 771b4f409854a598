from django.http import JsonResponse
from django.urls import path


def bare(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [path("bare", bare)]
