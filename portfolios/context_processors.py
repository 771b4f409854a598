"""`capacity` in every page's context, for banners; queried only when used."""

from django.utils.functional import SimpleLazyObject


def capacity(request):
    from . import capacity as cap

    return {"capacity": SimpleLazyObject(cap.status)}
