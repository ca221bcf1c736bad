"""OGC API Processes jobs that belong to whoever started them (``/oapi/jobs``), kept for a while, a few at a time.

pygeoapi's job manager records every execution (sync and async) as a job and lists, shows and deletes any of
them for anyone. Here the manager is replaced by a subclass of itself (:func:`install`) that

* **records the owner** of each job: the signed-in person or service token (``Viewer.name``), and for
  anonymous runs the hash of a *job secret*. The secret comes back in the ``X-Job-Secret`` response header
  of the execution (a client may choose its own, 22-128 characters ``[A-Za-z0-9_-]``, and send it with
  every run; its ``X-Contribution-Secret`` counts as well, so one secret covers a browser). Only its
  SHA-256 is stored, in the job record;
* **shows a job only to its owner and to planners/admins**: ``GET /oapi/jobs`` lists one's own jobs (all
  for planners), ``GET /oapi/jobs/{id}``, ``…/results`` and ``DELETE /oapi/jobs/{id}`` answer 404 for
  anybody else's job, exactly as for a job that does not exist (ids are time-based uuid1, not secrets);
* **removes jobs and their ``process-outputs`` files** after ``BUERGERGIS_JOBS_KEEP_HOURS`` (24 h by default;
  checked at start-up and at most once a minute on job requests and executions), and files no job
  refers to any more;
* **caps concurrent runs** at ``BUERGERGIS_JOBS_MAX_RUNNING`` per server process (sync and async together):
  beyond it an execution is a 503 with ``Retry-After`` and a German/English message.

Storing a run's result in the collections (``store_results``) stays planners' work (``api/access.py``).
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask, g, has_request_context, jsonify, request
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from pygeoapi.process.base import JobNotFoundError
from pygeoapi.process.manager.base import BaseManager

from access.messages import message as access_message
from access.rules import SECRET_HEADER, hash_secret
from access.viewer import current_viewer
from api.messages import message

LOGGER = logging.getLogger(__name__)

JOB_SECRET_HEADER = "X-Job-Secret"
_SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{22,128}$")
_MAX_SECRETS = 50
_EXECUTION = re.compile(r"^/oapi/processes/[^/]+/execution/?$")
_JOB = re.compile(r"^/oapi/jobs/(?P<job>[^/]+)(?:/results)?/?$")
#: Job records' own statuses that are over (pygeoapi's JobStatus values).
_FINISHED = ("successful", "failed", "dismissed")
#: Housekeeping runs at most this often per process.
_SWEEP_EVERY_S = 60.0


class JobSettings(BaseSettings):
    """``BUERGERGIS_JOBS_*``: how long jobs and their results are kept, how many may run at once."""

    model_config = SettingsConfigDict(env_prefix="BUERGERGIS_JOBS_")

    #: Hours a job (its record and its result file) is kept after it finished.
    keep_hours: float = Field(default=24.0, gt=0)
    #: Process executions running at the same time in one server process (sync and async together).
    max_running: int = Field(default=4, ge=1)
    #: Seconds a client is asked to wait when every run slot is taken.
    retry_after_s: int = Field(default=30, ge=1)


def _hash(secret: str) -> str:
    return hash_secret(secret)


def _sent_secrets() -> list[str]:
    """Well-formed secrets of this request: ``X-Job-Secret`` first, then ``X-Contribution-Secret``."""
    found: list[str] = []
    for header in (JOB_SECRET_HEADER, SECRET_HEADER):
        for value in (request.headers.get(header) or "").split(",")[:_MAX_SECRETS]:
            if _SECRET_PATTERN.match(value.strip()):
                found.append(value.strip())
    return found


def owner_of_new_job() -> tuple[dict, str | None]:
    """(owner fields for the job record, the job secret to hand back or None) for the current request.

    A signed-in person or service token owns a job by name; anybody else by a secret: the one the client
    sent in ``X-Job-Secret`` (or ``X-Contribution-Secret``), else a fresh one.
    """
    viewer = current_viewer()
    if viewer.name and not viewer.token_invalid:
        return {"owner_name": viewer.name}, None
    given = request.headers.get(JOB_SECRET_HEADER, "").strip()
    if given and not _SECRET_PATTERN.match(given):
        raise ValueError(access_message("secret_malformed", header=JOB_SECRET_HEADER))
    sent = _sent_secrets()
    secret = given or (sent[0] if sent else secrets.token_urlsafe(32))
    return {"owner_secret_hash": _hash(secret)}, secret


def may_see(job: dict) -> bool:
    """Whether the current request may see ``job``: its owner, planners and admins; code outside a request."""
    if not has_request_context():
        return True  # the manager's own work (background runs, housekeeping)
    viewer = current_viewer()
    if viewer.is_planner:
        return True
    name = job.get("owner_name")
    if name and viewer.name and not viewer.token_invalid and viewer.name == name:
        return True
    stored = job.get("owner_secret_hash")
    if not stored:
        return False  # jobs from before owners were recorded: staff only
    return any([hmac.compare_digest(_hash(s), stored) for s in _sent_secrets()])  # noqa: C419 -- all compared


def _instant(value) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


class RunSlots:
    """At most ``size`` runs at once in this process; a slot is taken by the request, freed by the run."""

    def __init__(self, size: int):
        self.size = size
        self._free = threading.BoundedSemaphore(size)

    def take(self) -> bool:
        return self._free.acquire(blocking=False)

    def give_back(self) -> None:
        self._free.release()


class OwnedJobsMixin(BaseManager):
    """Put in front of pygeoapi's manager class (TinyDB, PostgreSQL, ...): owners, visibility, retention and
    the run cap. Never made on its own: :func:`owned_manager` puts it before the configured manager's class."""

    slots: RunSlots
    keep: timedelta
    _held: dict[str, bool]
    _held_lock: threading.Lock
    _last_sweep: float

    # -- creation: owner and run slot --------------------------------------------------------------------

    def add_job(self, job_metadata: dict):
        if has_request_context():
            job_metadata = {**job_metadata, **g.get("job_owner", {})}
            if g.pop("job_slot", False):  # the run now holds the request's slot until it ends
                with self._held_lock:
                    self._held[job_metadata["identifier"]] = True
        return super().add_job(job_metadata)

    def _execute_handler_sync(self, p, job_id, *args, **kwargs):
        try:
            return super()._execute_handler_sync(p, job_id, *args, **kwargs)
        finally:
            with self._held_lock:
                held = self._held.pop(job_id, False)
            if held:
                self.slots.give_back()

    # -- reading: only one's own jobs --------------------------------------------------------------------

    def get_jobs(self, status=None, limit=None, offset=None) -> dict:
        everything = super().get_jobs(status=status)["jobs"]
        visible = [job for job in everything if may_see(job)]
        page = visible[offset or 0 :]
        if limit:
            page = page[:limit]
        return {"jobs": page, "numberMatched": len(visible)}

    def get_job(self, job_id: str) -> dict:
        job = super().get_job(job_id)
        if not may_see(job):
            raise JobNotFoundError()
        return job

    # -- retention ---------------------------------------------------------------------------------------

    def remove_expired(self, now: datetime | None = None) -> list[str]:
        """Remove jobs older than ``keep`` (finished ones by their end, stale ones by their start) with their
        result files, and result files no job refers to; returns the removed job ids."""
        now = now or datetime.now(UTC)
        cutoff = now - self.keep
        removed: list[str] = []
        jobs = super().get_jobs()["jobs"]  # unfiltered: housekeeping sees every job
        for job in jobs:
            moment = _instant(job.get("finished") if job.get("status") in _FINISHED else job.get("created"))
            moment = moment or _instant(job.get("updated")) or _instant(job.get("created"))
            if moment is None or moment >= cutoff:
                continue
            self._remove_file(job.get("location"))
            try:
                super().update_job(job["identifier"], {"location": None})  # the file is gone already
                super().delete_job(job["identifier"])
                removed.append(job["identifier"])
            except (JobNotFoundError, OSError) as err:  # another worker removed it meanwhile
                LOGGER.debug("job %s not removed: %s", job.get("identifier"), err)
        if self.output_dir is not None and Path(self.output_dir).is_dir():
            referenced = {
                Path(j["location"]).name for j in jobs if j.get("location") and j.get("identifier") not in removed
            }
            for path in Path(self.output_dir).iterdir():
                try:
                    old = datetime.fromtimestamp(path.stat().st_mtime, UTC) < cutoff
                except OSError:
                    continue
                if path.is_file() and old and path.name not in referenced:
                    path.unlink(missing_ok=True)
        if removed:
            LOGGER.info("removed %d process jobs older than %s", len(removed), self.keep)
        return removed

    def sweep_now_and_then(self) -> None:
        """:meth:`remove_expired` in the background, at most once a minute per process.

        In a thread of its own, outside the request: the request's viewer must not narrow what it sees, and
        the request need not wait for it."""
        with self._held_lock:
            if time.monotonic() - self._last_sweep < _SWEEP_EVERY_S:
                return
            self._last_sweep = time.monotonic()
        threading.Thread(target=self._sweep, name="job-retention", daemon=True).start()

    def _sweep(self) -> None:
        try:
            self.remove_expired()
        except Exception:  # housekeeping must never take the server down
            LOGGER.exception("removing expired process jobs failed")

    def _remove_file(self, location) -> None:
        if not location or self.output_dir is None:
            return
        path = Path(location)
        try:
            if path.resolve().parent == Path(self.output_dir).resolve():  # only pygeoapi's own output files
                path.unlink(missing_ok=True)
        except OSError as err:
            LOGGER.warning("could not remove job output %s: %s", path.name, err)


def owned_manager(manager, job_settings: JobSettings):
    """A manager of ``manager``'s class with :class:`OwnedJobsMixin` in front, on the same configuration."""
    plain = getattr(manager, "plain_class", type(manager))  # create_app may run twice in one process
    cls = type(f"Owned{plain.__name__}", (OwnedJobsMixin, plain), {})
    owned: OwnedJobsMixin = object.__new__(cls)  # not __init__: the configured manager is set up already
    owned.__dict__.update(manager.__dict__)  # name, connection, output_dir, processes, is_async, ...
    owned.plain_class = plain
    owned.slots = RunSlots(job_settings.max_running)
    owned.keep = timedelta(hours=job_settings.keep_hours)
    owned._held = {}
    owned._held_lock = threading.Lock()
    owned._last_sweep = float("-inf")
    return owned


def _refuse(status: int, code: str, message: str, retry_after: int | None = None):
    response = jsonify({"code": code, "type": code, "description": message})
    response.status_code = status
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _not_found(job_id: str):
    return _refuse(404, "NoSuchJob", message("job_not_found", id=job_id[:80], header=JOB_SECRET_HEADER))


def install(server: Flask, job_settings: JobSettings | None = None):
    """Replace pygeoapi's job manager by an owned one and guard ``/oapi/jobs`` and executions."""
    from pygeoapi.flask_app import api_

    config = job_settings or JobSettings()
    manager = owned_manager(api_.manager, config)
    api_.manager = manager
    manager.remove_expired()  # at start-up, before the first request
    manager._last_sweep = time.monotonic()
    server.extensions["buergergis.jobs"] = manager

    @server.before_request
    def guard_jobs():
        path = request.path
        if request.method == "POST" and _EXECUTION.match(path):
            manager.sweep_now_and_then()
            try:
                g.job_owner, g.job_secret = owner_of_new_job()
            except ValueError as err:
                return _refuse(400, "InvalidParameterValue", str(err))
            if not manager.slots.take():
                wait = config.retry_after_s
                return _refuse(
                    503,
                    "ServiceUnavailable",
                    message("jobs_busy", count=manager.slots.size, wait=wait),
                    retry_after=wait,
                )
            g.job_slot = True
            return None
        if not path.startswith("/oapi/jobs"):
            return None
        manager.sweep_now_and_then()
        match = _JOB.match(path)
        if match and request.method in ("GET", "HEAD", "DELETE"):
            try:
                manager.get_job(match["job"])  # raises for a job this requester may not see
            except JobNotFoundError:
                return _not_found(match["job"])
        return None

    @server.teardown_request
    def free_unused_slot(_error=None):
        if g.pop("job_slot", False):  # refused before a job was made (bad input, unknown process)
            manager.slots.give_back()

    @server.after_request
    def job_headers(response):
        secret = g.pop("job_secret", None)
        if secret and request.method == "POST" and _EXECUTION.match(request.path) and response.status_code < 300:
            response.headers[JOB_SECRET_HEADER] = secret
            response.headers["Cache-Control"] = "no-store"
        if request.path.startswith("/oapi/jobs"):
            response.headers["Cache-Control"] = "no-store"  # one's own jobs: never from a shared cache
            response.vary.update(("Authorization", "Cookie", JOB_SECRET_HEADER, SECRET_HEADER))
        return response

    return manager
