"""The endpoints the load scenarios call, by class of SPEC H."""

# SPEC H: reads p95 < 200 ms, writes p95 < 500 ms.
TARGETS = {"read": 200.0, "write": 500.0}

CLASSES = {
    "GET /": "read",
    "GET /status": "read",
    "GET /p/<slug>/": "read",
    "GET /api/v1/status": "read",
    "GET /api/v1/extractions/<id>": "read",
    "GET /api/v1/extractions": "read",
    "POST /api/v1/extractions": "write",
    "POST /api/v1/portfolios": "write",
}
