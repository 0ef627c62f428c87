"""Event and session models, and the config-file loader with line numbers. Pure: no I/O."""

from notifier.events.load import load_event
from notifier.events.model import Event, Loaded, Problem, Session

__all__ = ["Event", "Loaded", "Problem", "Session", "load_event"]
