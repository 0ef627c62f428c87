"""Reminder planning now; APScheduler wiring comes with the daemon."""

from notifier.jobs.plan import PlannedReminder, plan_reminders

__all__ = ["PlannedReminder", "plan_reminders"]
