"""`capacity` in every page's context, for banners; queried only when used."""

from django.utils.functional import SimpleLazyObject

from . import capacity as cap


def capacity(request):
    return {"capacity": SimpleLazyObject(cap.status)}
