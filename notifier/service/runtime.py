"""The long-running service: config → APScheduler jobs → fan-outs on the event loop.

One process holds one store, one set of channels and one scheduler thread, made at start and
closed in reverse order. The job set follows the config files (watched, debounced); a config
edit with errors is logged and ignored, so the last good config keeps running. On start and
every ``reconcile_interval_s``, reminders that are due but have no finished fan-out are fired
(APScheduler drops a one-off job from its store as it hands it over, so a crash then would
otherwise lose it). SIGTERM/SIGINT stop intake, let in-flight sends finish (bounded), hand back
deliveries not yet attempted, and exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

import structlog
import watchfiles
from apscheduler.jobstores.base import BaseJobStore

from notifier.configfiles import ConfigSet, config_stamps, load_config_files
from notifier.errors import StoreError
from notifier.events import Event, Session
from notifier.jobs import reminders_of
from notifier.jobs.ahead import due_utc
from notifier.jobs.fanout import FanoutDeps
from notifier.jobs.plan import offsets_of
from notifier.jobs.scheduler import REMINDER_FUNC, make_scheduler
from notifier.jobs.shared import publish_fanout, wait_round
from notifier.jobs.sync import apply_jobs, desired_jobs, ref_from_kwargs
from notifier.records import ReminderRef
from notifier.service.health import Health
from notifier.service.sharing import Leadership
from notifier.settings import Settings
from notifier.store.work import LeaderLease, LocalLeaderLease, LocalWorkQueue, WorkQueue

log = structlog.get_logger("notifier.service")
WATCH_RETRY_S = 1.0
WATCH_TICK_MS = 1000  # the watcher's idle tick: its first one says it is armed
EARLY_TOLERANCE_S = 0.5  # a job fired this much before the store's due time runs at once
RECONCILE_RETRY_S = 1.0  # a failed catch-up pass is tried again after this, doubling


def _brief(exc: BaseException) -> str:
    """``Type: message``, cut short: a log line, not a dump of the config file."""
    return f"{type(exc).__name__}: {exc}"[:500]


class Service:
    """The running state of one process: current events, scheduler, fan-outs in flight.

    It owns its scheduler: made here, on the running loop, with :meth:`on_job_fired` as the
    hand-over, so a fired job always finds the service it belongs to. The root starts it.
    """

    def __init__(
        self,
        settings: Settings,
        deps: FanoutDeps,
        jobstore: BaseJobStore,
        config: ConfigSet,
        health: Health | None = None,
        queue: WorkQueue | None = None,
        lease: LeaderLease | None = None,
    ) -> None:
        self.settings = settings
        self.deps = deps
        # the embedded store: an in-process queue, and this process always leads
        self.queue: WorkQueue = queue or LocalWorkQueue()
        self.leadership = Leadership(
            lease or LocalLeaderLease(), deps.owner, settings.leader_lease_s
        )
        self.health = health or Health(settings, deps.metrics.registry)
        self.scheduler = make_scheduler(
            jobstore,
            asyncio.get_running_loop(),
            self.on_job_fired,
            beat=lambda: self.health.beat("scheduler"),
        )
        self._jobstore = jobstore
        self.events: dict[str, Event] = {e.id: e for e in config.events}
        self._stamps = config.stamps  # of the config now running
        self.watching = asyncio.Event()  # set once the config watcher sees edits
        self.in_flight: dict[str, asyncio.Task[Any]] = {}
        self.stop = asyncio.Event()
        # a send prepared ahead asks, once its instant comes, whether the config still plans it
        deps.planned = lambda ref: self.lookup(ref) is not None

    # -- job set -----------------------------------------------------------------------
    async def sync_jobs(self) -> None:
        ahead = timedelta(seconds=self.deps.prepare_ahead_s)
        desired = desired_jobs(self.events.values(), self.deps.clock(), ahead)
        result = await asyncio.to_thread(apply_jobs, self.scheduler, desired)
        self.deps.metrics.jobs_scheduled.set(len(desired))
        log.info(
            "jobs_synced",
            added=result.added,
            updated=result.updated,
            removed=result.removed,
            unchanged=result.unchanged,
        )

    async def check_store(self) -> None:
        """The store's health (persistence, marker, clock); a store that lost writes lost
        the scheduler's jobs with them: they are rebuilt from the event files at once."""
        if await self.health.check_store():
            await self.sync_jobs()

    async def readiness(self) -> dict[str, bool]:
        """What ``/readyz`` reports: the store answers, the scheduler runs, and the health
        checks (persistence, data intact, clock skew, each background task's beat)."""
        try:
            await self.deps.store.ping()
            store_ok = True
        except StoreError:
            store_ok = False
        checks = {"store": store_ok, "scheduler": bool(self.scheduler.running)}
        return checks | self.health.checks()

    async def reconcile(self) -> int:
        """Fire every reminder that is due, recent, and has no finished fan-out (the leader
        only; a fan-out whose chunks are still out is left to the replicas). Returns count."""
        if not self.leadership.leading():
            return 0
        now = self.deps.clock()
        lookback = timedelta(seconds=self.settings.reconcile_lookback_s)
        fired = 0
        for reminder in reminders_of(self.events.values()):
            if not now - lookback <= reminder.send_at_utc <= now:
                continue
            ref = reminder.ref
            if ref.key in self.in_flight:
                continue
            fanout = await self.deps.store.get_fanout(ref)
            if fanout is not None and fanout.status != "started":
                continue
            out = None if fanout is None else await self._round_out(ref)
            if out is None:
                self.start_fanout(ref)
                fired += 1
            else:
                self._follow(ref, out)
        if fired:
            log.info("reconcile_fired", count=fired)
        return fired

    async def _round_out(self, ref: ReminderRef) -> int | None:
        """The round of a started fan-out whose chunks are still out (being delivered, or
        waiting to be taken over from a dead replica); None: run it again."""
        progress = await self.queue.progress(ref)
        if progress is None or progress.total is None:
            # never published, or its publisher (a former leader) stopped before sealing
            return None
        return progress.round if progress.done < progress.total else None

    def _follow(self, ref: ReminderRef, round_: int) -> None:
        """Keep an outstanding round in flight here until its chunks are all delivered."""
        if ref.key in self.in_flight:
            return
        task = asyncio.create_task(
            wait_round(self.deps, self.queue, ref, round_, self.stop), name=ref.key
        )
        self.in_flight[ref.key] = task
        task.add_done_callback(lambda t: self._fanout_finished(ref.key, t))

    # -- firing ------------------------------------------------------------------------
    def on_job_fired(self, kwargs: dict[str, Any]) -> None:
        """Called on the loop by the scheduler thread's LoopExecutor."""
        self.deps.metrics.jobs_scheduled.dec()
        ref = ref_from_kwargs(kwargs)
        if not self.leadership.leading():
            # the lease went elsewhere as the job fired: the leader's catch-up pass sends it
            log.warning("job_fired_not_leader", reminder=ref.key)
            return
        ahead_s = self.health.skew_s
        if ahead_s > EARLY_TOLERANCE_S:
            # APScheduler wakes on this host's clock: a host ahead of the store's fires early
            log.warning("job_fired_early", reminder=ref.key, deferred_s=round(ahead_s, 3))
            asyncio.get_running_loop().call_later(ahead_s, self.start_fanout, ref)
            return
        self.start_fanout(ref)

    def start_fanout(self, ref: ReminderRef) -> None:
        if ref.key in self.in_flight or self.stop.is_set() or not self.leadership.leading():
            return
        found = self.lookup(ref)
        if found is None:
            log.info("stale_reminder_ignored", reminder=ref.key)
            return
        event, session = found
        task = asyncio.create_task(self._publish(event, session, ref), name=ref.key)
        self.in_flight[ref.key] = task
        task.add_done_callback(lambda t: self._fanout_finished(ref.key, t))

    async def _publish(self, event: Event, session: Session, ref: ReminderRef) -> None:
        """Publish the fan-out's chunks, then wait until they are all delivered (by any
        replica): the reminder is in flight here until then."""
        # fired ahead: the store's round trips and the first page wait for sends due now
        await self.deps.due_first.turn(self.deps, due_utc(ref))
        token = self.leadership.token
        round_ = await publish_fanout(self.deps, self.queue, event, session, ref, token)
        if round_:
            await wait_round(self.deps, self.queue, ref, round_, self.stop)

    def lookup(self, ref: ReminderRef) -> tuple[Event, Session] | None:
        """The session as the current config has it, if the reminder still matches it."""
        event = self.events.get(ref.event_id)
        session = (
            next((s for s in event.sessions if s.id == ref.session_id), None) if event else None
        )
        if event is None or session is None or session.cancelled:
            return None
        if session.start_utc != ref.start_utc:
            return None  # moved: the synced job for the new time carries the new instant
        if timedelta(seconds=ref.offset_s) not in offsets_of(event, session):  # broadcasts' too
            return None
        return event, session

    def _fanout_finished(self, key: str, task: asyncio.Task[Any]) -> None:
        self.in_flight.pop(key, None)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            log.error("reminder_fanout_crashed", reminder=key, error=repr(exc))

    async def leadership_changed(self, leading: bool) -> None:
        """Leading: run the scheduler and a catch-up pass at once (a dead leader's due
        reminders). Not leading: pause the scheduler and stop publishing, at once."""
        if leading:
            await asyncio.to_thread(self.scheduler.resume)
            await self.reconcile()
            return
        await asyncio.to_thread(self.scheduler.pause)
        for key, task in list(self.in_flight.items()):
            if not key.startswith("chunk:"):
                task.cancel()  # its chunks already out are delivered by the replicas

    # -- config ------------------------------------------------------------------------
    async def reload_config(self) -> None:
        """Load the config files again and apply them; never raises (cancellation aside).

        An exception here would end :meth:`watch_config`, and every later edit would be
        ignored until a restart. A failure while loading keeps the last good config; one while
        syncing jobs (the store is down) keeps the new, valid config, whose due reminders the
        catch-up pass still sends, and the next edit syncs again.
        """
        try:
            await self._reload_config()
        except Exception as exc:
            log.error("config_reload_failed", error=_brief(exc), events=len(self.events))
            self.deps.metrics.config_reloads.labels("error").inc()
            with contextlib.suppress(OSError):  # this state is judged: wait for the next edit
                self._stamps = config_stamps(self.settings.config)

    async def _reload_config(self) -> None:
        today = self.deps.clock().date()
        config = await asyncio.to_thread(load_config_files, self.settings.config, today=today)
        self._stamps = config.stamps  # judged, good or bad: the next change is the next edit
        if not config.ok or not config.files:
            for problem in config.problems:
                log.error("config_invalid", problem=str(problem))
            log.warning(
                "config_reload_refused", reason="errors; the last good config keeps running"
            )
            self.deps.metrics.config_reloads.labels("error").inc()
            return
        self.events = {e.id: e for e in config.events}
        self.deps.metrics.config_reloads.labels("ok").inc()
        log.info("config_reloaded", events=len(self.events))
        await self.sync_jobs()
        await self.reconcile()

    async def watch_config(self) -> None:
        """Reload on every change until stop; a failing watch is logged and started again.

        Sets :attr:`watching` at the watcher's first tick, and then reloads if the files
        changed since they were read: an edit saved before the watcher was armed is not lost.
        """
        self.health.watch("config_watch", WATCH_TICK_MS / 1000)
        while not self.stop.is_set():
            paths = [p for p in self.settings.config if p.exists()]
            armed = False  # this watch's first tick has compared the files with those read
            try:
                if paths:
                    async for changes in watchfiles.awatch(
                        *paths,
                        debounce=self.settings.config_debounce_ms,
                        stop_event=self.stop,
                        recursive=True,
                        rust_timeout=WATCH_TICK_MS,
                        yield_on_timeout=True,  # an empty tick: the watcher is armed
                    ):
                        # once armed, the watcher reports every edit: the files are compared
                        # with those read only at its first tick (a stat of every config file,
                        # 10 ms on the loop with 200 of them, was made every second, issue #15)
                        if changes or (not armed and self._edited_since_read()):
                            await self.reload_config()
                        armed = True
                        self.watching.set()
                        self.health.beat("config_watch")
                    continue  # awatch ends when stop is set
                self.health.beat("config_watch")  # alive, waiting for the folder to appear
            except Exception as exc:  # e.g. the watched folder was removed and made again
                log.error("config_watch_failed", error=_brief(exc), retry_in_s=WATCH_RETRY_S)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(WATCH_RETRY_S):
                    await self.stop.wait()

    def _edited_since_read(self) -> bool:
        return config_stamps(self.settings.config) != self._stamps

    def stop_scheduler(self) -> None:
        """Blocking (run it in a thread): stop the scheduler thread, then close its job store
        again: the thread's last wake-up after ``shutdown`` may reconnect to it."""
        self.scheduler.shutdown(wait=True)  # BackgroundScheduler joins its thread here
        self._jobstore.shutdown()

    async def reconcile_forever(self) -> None:
        """The catch-up pass every ``reconcile_interval_s``, with the store's health check
        first; a failed pass (the store is down) is logged and tried again sooner (backoff,
        at most the interval). Each pass that succeeds beats ``catch_up``."""
        interval_s = self.settings.reconcile_interval_s
        self.health.watch("catch_up", interval_s)
        failures = 0
        while not self.stop.is_set():
            wait_s = (
                min(RECONCILE_RETRY_S * 2 ** (failures - 1), interval_s) if failures else interval_s
            )
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait_s):
                    await self.stop.wait()
            if self.stop.is_set():
                break
            try:
                await self.check_store()
                await self.reconcile()
                await self.purge_pending()
                await self.count_registrations()
            except Exception as exc:
                failures = min(failures + 1, 16)
                log.error("reconcile_failed", error=_brief(exc), failures=failures)
            else:
                failures = 0
                self.health.beat("catch_up")

    async def purge_pending(self) -> int:
        """Delete registrations left unconfirmed past ``pending_expiry_s``."""
        expiry = timedelta(seconds=self.settings.pending_expiry_s)
        purged = await self.deps.store.purge_pending(self.deps.clock() - expiry)
        if purged:
            log.info("pending_registrations_purged", count=purged)
        return purged

    async def count_registrations(self) -> None:
        """Refresh the registrations gauge (per event) for /metrics."""
        for event_id in self.events:
            count = await self.deps.store.count_registrations(event_id)
            self.deps.metrics.registrations.labels(event_id).set(count)

    async def idle(self) -> bool:
        """No fan-out running and no reminder job left: what --until-idle waits for."""
        if self.in_flight or self._queued():
            return False
        jobs = await asyncio.to_thread(self.scheduler.get_jobs)
        # asked again: a job handed over while get_jobs ran left the store before its fan-out
        # was in flight, and would be handed back as "idle" (the demo's lost reminder)
        busy = self.in_flight or self._queued()
        return not busy and not any(job.func_ref == REMINDER_FUNC for job in jobs)

    def _queued(self) -> bool:
        """Chunks waiting in this process's own queue (the embedded store)."""
        return isinstance(self.queue, LocalWorkQueue) and self.queue.pending() > 0
