"""Time-zone-aware reminders for hybrid events."""

__version__ = "0.1.0"
