"""The public status page (SPEC P-5, M-5): the service's state in plain words."""

from __future__ import annotations

from django.shortcuts import render

from .status import service_status


def status_page(request):
    status = service_status()
    cap = status.capacity
    return render(
        request,
        "monitoring/status.html",
        {
            "cap": cap,
            "extraction": status.extraction,
            # Only a full service makes people wait for a place.
            "portfolio_eta_minutes": status.portfolio_eta_seconds // 60 + 1
            if cap.state == "full"
            else None,
        },
    )
