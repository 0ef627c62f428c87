"""The long-running service: its composition root, the runtime that owns the scheduler, the
HTTP server glue, and the ``run`` loop. Only ``notifier.cli`` imports from here."""

from notifier.service.root import drain, open_service, utc_now
from notifier.service.run import run_service
from notifier.service.runtime import Service

__all__ = ["Service", "drain", "open_service", "run_service", "utc_now"]
