"""Reminder jobs: the plan (one walk over the config), APScheduler 3 kept off the loop, the
job set synced to the config, the lateness policy, and the fan-out that runs at fire time."""

from notifier.jobs.plan import PlannedReminder, Reminder, plan_reminders, reminders_of

__all__ = ["PlannedReminder", "Reminder", "plan_reminders", "reminders_of"]
