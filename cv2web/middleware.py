"""Project-wide response headers."""


class ApiNoStoreMiddleware:
    """API answers are never cached by browsers or proxies (SPEC A)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/v1/"):
            response["Cache-Control"] = "no-store"
        return response
