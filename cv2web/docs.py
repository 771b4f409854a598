"""The API's browsable documentation page (Swagger UI, served locally)."""

from csp.decorators import csp_update
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularSwaggerSplitView

# Swagger UI draws its icons as data: images; nothing else is relaxed.
_DOCS_CSP = {"img-src": ["data:"]}


@method_decorator(csp_update(_DOCS_CSP), name="dispatch")
class ApiDocsView(SpectacularSwaggerSplitView):
    pass
