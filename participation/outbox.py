"""Sending the queued mails (``notify_outbox``) with the standard library's smtplib, in the background.

One daemon thread per process waits for a nudge (a mail was queued) or for the next retry, claims due rows
(an ``UPDATE … WHERE attempts = :seen`` that only one worker wins, so several gunicorn workers never send a
mail twice), sends them over one SMTP connection and deletes each once the server took it. A failure is
logged and tried again after ``retry_s``, doubling, up to ``max_attempts`` tries; then the mail is dropped
with an error in the log. Nothing of this runs inside a citizen's request.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import threading
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from access.db import instant, iso, now
from participation.mail_settings import MailSettings
from participation.notify import OUTBOX

LOG = logging.getLogger(__name__)

BATCH = 50
#: Longest sleep between looks at the outbox (mail queued by another worker process is found this late).
IDLE_S = 30.0


def message(row: dict, settings: MailSettings) -> EmailMessage:
    """The MIME message of one outbox row: plain text with an HTML alternative, unsubscribe headers."""
    mail = EmailMessage()
    mail["From"] = settings.sender
    mail["To"] = row["recipient"]
    mail["Subject"] = row["subject"]
    mail["Date"] = format_datetime(now())
    mail["Message-ID"] = make_msgid(domain=(settings.sender or "buergergis").rpartition("@")[2].strip("> ") or None)
    mail["Auto-Submitted"] = "auto-generated"
    mail["Content-Language"] = "de, en"
    if row.get("unsubscribe_url"):
        mail["List-Unsubscribe"] = f"<{row['unsubscribe_url']}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058: a POST to the link unsubscribes
    mail.set_content(row["body_text"])
    if row.get("body_html"):
        mail.add_alternative(row["body_html"], subtype="html")
    return mail


def connect(settings: MailSettings) -> smtplib.SMTP:
    """An SMTP connection as configured: implicit TLS, STARTTLS or plain; logged in if a user is set."""
    context = ssl.create_default_context()
    host = settings.host or "localhost"
    if settings.security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, settings.port, timeout=settings.timeout_s, context=context)
    else:
        smtp = smtplib.SMTP(host, settings.port, timeout=settings.timeout_s)
        if settings.security == "starttls":
            smtp.starttls(context=context)
    if settings.user:
        smtp.login(settings.user, settings.password.get_secret_value() if settings.password else "")
    return smtp


def _claim(db, row: dict, settings: MailSettings) -> bool:
    """Take one due row for this worker; its next try is already set in case this one fails."""
    delay = settings.retry_s * (2 ** int(row["attempts"]))
    with db.transaction() as tx:
        return (
            tx.execute(
                f"UPDATE {OUTBOX} SET attempts = attempts + 1, next_attempt_at = :next "
                "WHERE id = :id AND attempts = :seen",
                {"next": iso(now() + timedelta(seconds=delay)), "id": row["id"], "seen": int(row["attempts"])},
            )
            == 1
        )


def send_due(db, settings: MailSettings) -> int:
    """Send every due mail once; the number delivered. Failures stay queued for their next try."""
    due = db.fetch(
        f"SELECT * FROM {OUTBOX} WHERE next_attempt_at <= :now ORDER BY created_at, id LIMIT {BATCH}",
        {"now": iso(now())},
    )
    smtp = None
    sent = 0
    try:
        for row in due:
            if not _claim(db, row, settings):
                continue  # another worker took it
            attempt = int(row["attempts"]) + 1
            try:
                if smtp is None:
                    smtp = connect(settings)
                smtp.send_message(message(row, settings))
            except (OSError, smtplib.SMTPException) as err:
                if smtp is not None:
                    _close(smtp)
                    smtp = None
                _failed(db, row, attempt, err, settings)
                continue
            db.execute(f"DELETE FROM {OUTBOX} WHERE id = :id", {"id": row["id"]})
            sent += 1
            LOG.info("mail %s (%s) sent, try %d", row["id"], row["kind"], attempt)
    finally:
        if smtp is not None:
            _close(smtp)
    return sent


def _failed(db, row: dict, attempt: int, err: Exception, settings: MailSettings) -> None:
    reason = f"{type(err).__name__}: {err}"[:500]
    if attempt >= settings.max_attempts:
        LOG.error("mail %s (%s) given up after %d tries: %s", row["id"], row["kind"], attempt, reason)
        db.execute(f"DELETE FROM {OUTBOX} WHERE id = :id", {"id": row["id"]})
        return
    LOG.warning(
        "mail %s (%s) not sent (try %d of %d), will retry: %s",
        row["id"],
        row["kind"],
        attempt,
        settings.max_attempts,
        reason,
    )
    db.execute(f"UPDATE {OUTBOX} SET last_error = :e WHERE id = :id", {"e": reason, "id": row["id"]})


def _close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def next_due_in(db) -> float | None:
    """Seconds until the next queued mail is due (0 if one is due now), None if the outbox is empty."""
    found = db.fetch(f"SELECT min(next_attempt_at) AS due FROM {OUTBOX}")
    due = instant(found[0]["due"]) if found else None
    return None if due is None else max((due - now()).total_seconds(), 0.0)


class OutboxWorker:
    """The background sender of one process."""

    def __init__(self, db, settings: MailSettings):
        self.db, self.settings = db, settings
        self._nudge = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()

    def kick(self) -> None:
        """Mail was queued: look now (starts the thread in this process if needed)."""
        self.ensure_running()
        self._nudge.set()

    def ensure_running(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
                return
            self._pid = os.getpid()  # a forked worker has no thread of its parent's: start its own
            self._thread = threading.Thread(target=self._run, name="buergergis-outbox", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._nudge.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._nudge.clear()  # before looking: a nudge during the look makes the wait below return at once
            try:
                send_due(self.db, self.settings)
                wait = next_due_in(self.db)
            except Exception:  # the store may be down for a while; keep the thread alive
                LOG.exception("outbox: sending failed")
                wait = self.settings.retry_s
            self._nudge.wait(IDLE_S if wait is None else min(max(wait, 0.05), IDLE_S))
