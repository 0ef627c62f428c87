"""HTTP API and participant pages, served by the daemon in its own event loop.

Endpoints (see ``/openapi.json``): ``/healthz``, ``/readyz``; ``/api/v1/events``,
``/api/v1/events/{event_id}?tz=``, ``POST /api/v1/events/{event_id}/registrations``;
organizer (bearer token) ``/api/v1/events/{event_id}/registrations`` and
``/api/v1/events/{event_id}/sessions/{session_id}/deliveries``; pages ``/``,
``/events/{event_id}``, ``POST /events/{event_id}/register``; links ``/confirm/{token}`` and
``/unsubscribe/{token}`` (``GET`` asks, ``POST`` acts; unsubscribe per RFC 8058).
"""

from notifier.api.app import create_app
from notifier.api.deps import ApiDeps

__all__ = ["ApiDeps", "create_app"]
