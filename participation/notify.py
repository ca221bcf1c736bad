"""E-mail updates a citizen asked for: the address kept apart, double opt-in, and the mails of each event.

An address given with a contribution (``notify_email``) or later by its author is stored in the support
table ``notify_subscriptions`` -- never in the contribution, the OGC collection or an export -- and gets one
mail only: the confirmation link (signed with itsdangerous, valid ``BUERGERGIS_SMTP_CONFIRM_HOURS``). Once
confirmed, it gets the receipt (with the reference number), each status change (published, rejected with
the moderator's public note, being dealt with, done) and the published Abwägung. Every mail carries an
unsubscribe link; unsubscribing, or deleting the contribution, deletes the address and its unsent mails.

Mails are not sent here: each is a row of ``notify_outbox`` written after the contribution's own commit, and
``participation/outbox.py`` sends them in the background with retries, so a slow or broken mail server never
delays or breaks a citizen's write.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email.errors import HeaderParseError
from email.headerregistry import Address
from urllib.parse import quote

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from access.db import Db, iso, now
from intake.messages import message as intake_message
from participation import mail_texts
from participation.mail_settings import MailSettings
from participation.messages import message
from schema.catalog import SUPPORT_TABLES, Layer

LOG = logging.getLogger(__name__)

SUBSCRIPTIONS = "notify_subscriptions"
OUTBOX = "notify_outbox"
CONTRIBUTIONS = "contributions"
FIELD = "notify_email"
MAX_ADDRESS = 254
#: Status changes worth a mail (back to "eingereicht" after an edit is not).
NOTIFIED_STATUSES = ("freigegeben", "abgelehnt", "in_bearbeitung", "erledigt")

SUBSCRIPTIONS_TABLE = SUPPORT_TABLES.setdefault(
    SUBSCRIPTIONS,
    Layer(
        id=SUBSCRIPTIONS,
        title_de="E-Mail-Benachrichtigungen zu Beiträgen",
        title_en="E-mail updates on contributions",
        description_de="Adressen, an die Bürgerinnen und Bürger Neuigkeiten zu ihrem Beitrag erhalten möchten "
        "(Double-Opt-in); gelöscht mit dem Beitrag oder beim Abbestellen.",
        description_en="Addresses citizens want updates on their contribution sent to (double opt-in); deleted with "
        "the contribution or on unsubscribing.",
        geometry_type=None,
        columns={
            "id": "text",
            "contribution_id": "text",
            "email": "text",
            "created_at": "datetime",
            "confirmed_at": "datetime",
        },
        indexes=("contribution_id",),
    ),
)

OUTBOX_TABLE = SUPPORT_TABLES.setdefault(
    OUTBOX,
    Layer(
        id=OUTBOX,
        title_de="Ausgehende E-Mails",
        title_en="Outgoing e-mails",
        description_de="Noch nicht zugestellte Benachrichtigungen; nach dem Versand gelöscht.",
        description_en="Notifications not yet delivered; deleted once sent.",
        geometry_type=None,
        columns={
            "id": "text",
            "subscription_id": "text",
            "contribution_id": "text",
            "kind": "text",
            "recipient": "text",
            "subject": "text",
            "body_text": "text",
            "body_html": "text",
            "unsubscribe_url": "text",
            "attempts": "integer",
            "next_attempt_at": "datetime",
            "last_error": "text",
            "created_at": "datetime",
        },
        indexes=("contribution_id", "subscription_id", "next_attempt_at"),
    ),
)

TABLES = (SUBSCRIPTIONS_TABLE, OUTBOX_TABLE)

_CONTROL = re.compile(r"[\x00-\x20\x7f,;<>\"'()\[\]\\]")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


class NotifyError(ValueError):
    """A request about e-mail updates cannot be done; the message is "Deutsch / English"."""

    def __init__(self, message: str, status: int = 400, field_name: str | None = FIELD):
        super().__init__(message)
        self.status = status
        self.field = field_name


NOT_CONFIGURED = message("notify_not_configured")


def check_address(value) -> str:
    """The address as it will be stored (domain in lower case), or :class:`NotifyError` naming the field."""
    if not isinstance(value, str):
        raise NotifyError(intake_message("text_type", name=FIELD))
    value = value.strip()
    bad = message("email_invalid", field=FIELD, value=value[:80])
    if not value or len(value) > MAX_ADDRESS or _CONTROL.search(value) or value.count("@") != 1:
        raise NotifyError(bad)
    try:
        address = Address(addr_spec=value)
    except (HeaderParseError, ValueError, IndexError):
        raise NotifyError(bad) from None
    domain = address.domain
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise NotifyError(bad) from None
    labels = ascii_domain.split(".")
    if (
        not address.username
        or len(address.username) > 64
        or len(labels) < 2
        or not all(_LABEL.match(label) for label in labels)
        or not (labels[-1].isalpha() or labels[-1].lower().startswith("xn--"))
    ):  # a top-level domain
        raise NotifyError(bad)
    return f"{address.username}@{ascii_domain.lower()}"  # an IDN domain as punycode: every mail server takes it


def masked(address: str) -> str:
    """``m…@example.org``: enough for a person to recognise their address, not to read it."""
    user, _, domain = address.partition("@")
    return f"{user[:1]}…@{domain}"


@dataclass
class Notifier:
    """Subscriptions and the outbox of one store; ``wake`` tells the sender that mail is waiting."""

    db: Db  # the store's rows (GeoPackage or PostGIS)
    key: bytes
    settings: MailSettings
    wake: Callable[[], None] = field(default=lambda: None)

    # -- links ----------------------------------------------------------------------------------------------------

    def _serializer(self, purpose: str) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.key, salt=f"buergergis-notify-{purpose}")

    def token(self, purpose: str, subscription_id: str) -> str:
        return self._serializer(purpose).dumps(subscription_id)

    def read_token(self, purpose: str, token: str | None) -> str:
        """The subscription a signed link is for; 400 when it was changed, 410 when it has expired."""
        max_age = self.settings.confirm_hours * 3600 if purpose == "confirm" else None
        try:
            return str(self._serializer(purpose).loads(token or "", max_age=max_age))
        except SignatureExpired:
            raise NotifyError(message("link_expired"), 410, "token") from None
        except BadSignature:
            raise NotifyError(message("link_invalid"), 400, "token") from None

    def url(self, purpose: str, subscription_id: str) -> str:
        return f"{self.settings.base_url}/api/notifications/{purpose}?token={self.token(purpose, subscription_id)}"

    def status_url(self, contribution: dict) -> str:
        reference = contribution.get("reference")
        return (
            f"{self.settings.base_url}/?reference={quote(reference, safe='')}"
            if reference
            else f"{self.settings.base_url}/"
        )

    # -- subscribing ----------------------------------------------------------------------------------------------

    def subscribe(self, contribution_id: str, address: str) -> dict:
        """Keep ``address`` for one contribution (replacing an earlier one) and queue its confirmation mail."""
        if not self.settings.enabled:
            raise NotifyError(NOT_CONFIGURED)
        address = check_address(address)
        contribution = self._contribution(contribution_id)
        if contribution is None:
            raise NotifyError(intake_message("contribution_not_found", id=contribution_id), 404, None)
        subscription_id = str(uuid.uuid4())
        subscription = {
            "id": subscription_id,
            "contribution_id": contribution_id,
            "email": address,
            "created_at": iso(now()),
            "confirmed_at": None,
        }
        mail = mail_texts.confirmation(
            contribution,
            self.url("confirm", subscription_id),
            self.url("unsubscribe", subscription_id),
            self.settings.confirm_hours,
        )
        with self.db.transaction() as tx:
            self._delete(tx, "contribution_id", contribution_id)
            tx.execute(
                f"INSERT INTO {SUBSCRIPTIONS} (id, contribution_id, email, created_at, confirmed_at) "
                "VALUES (:id, :contribution_id, :email, :created_at, :confirmed_at)",
                subscription,
            )
            self._queue(tx, subscription, "confirm", mail)
        self.wake()
        return subscription

    def confirm(self, token: str | None) -> dict:
        """Follow the confirmation link: from now on mails are sent, the first one the receipt."""
        subscription_id = self.read_token("confirm", token)
        with self.db.transaction() as tx:
            found = tx.fetch(
                f"SELECT id, contribution_id, email, confirmed_at FROM {SUBSCRIPTIONS} WHERE id = :id",
                {"id": subscription_id},
            )
            if not found:
                raise NotifyError(message("subscription_gone"), 404, "token")
            subscription = found[0]
            if subscription["confirmed_at"] is None:
                subscription["confirmed_at"] = iso(now())
                tx.execute(
                    f"UPDATE {SUBSCRIPTIONS} SET confirmed_at = :at WHERE id = :id",
                    {"at": subscription["confirmed_at"], "id": subscription_id},
                )
                contribution = self._contribution(subscription["contribution_id"], tx)
                if contribution is not None:
                    self._queue(
                        tx,
                        subscription,
                        "receipt",
                        mail_texts.receipt(
                            contribution, self.status_url(contribution), self.url("unsubscribe", subscription_id)
                        ),
                    )
                newly = True
            else:
                newly = False
        if newly:
            self.wake()
        return {**subscription, "newly_confirmed": newly}

    def unsubscribe(self, token: str | None) -> bool:
        """Follow the unsubscribe link: the address and its unsent mails are deleted; False if already gone."""
        subscription_id = self.read_token("unsubscribe", token)
        with self.db.transaction() as tx:
            return self._delete(tx, "id", subscription_id) > 0

    def unsubscribe_contribution(self, contribution_id: str) -> bool:
        """The author switches updates off for one contribution."""
        with self.db.transaction() as tx:
            return self._delete(tx, "contribution_id", contribution_id) > 0

    def states(self, contribution_ids: list[str]) -> dict[str, dict]:
        """Per contribution with an address: ``{"state": "confirmed"|"pending", "email": "m…@example.org"}``."""
        if not contribution_ids:
            return {}
        marks = ", ".join(f":c{i}" for i in range(len(contribution_ids)))
        rows = self.db.fetch(
            f"SELECT contribution_id, email, confirmed_at FROM {SUBSCRIPTIONS} WHERE contribution_id IN ({marks})",
            {f"c{i}": c for i, c in enumerate(contribution_ids)},
        )
        return {
            r["contribution_id"]: {
                "state": "confirmed" if r["confirmed_at"] else "pending",
                "email": masked(r["email"]),
            }
            for r in rows
        }

    # -- events ---------------------------------------------------------------------------------------------------

    def status_changed(self, contribution: dict) -> int:
        """A moderator set a new status: a mail to a confirmed address (published, rejected with its note, …)."""
        if contribution.get("status") not in NOTIFIED_STATUSES:
            return 0
        return self._event(
            contribution["id"],
            "status",
            lambda c, unsubscribe: mail_texts.status_changed(c, self.status_url(c), unsubscribe),
        )

    def answers_published(self, procedure_id: str, entry_ids: list[str]) -> int:
        """Planners published Abwägung results: one mail per statement with a confirmed address."""
        if not entry_ids:
            return 0
        marks = ", ".join(f":e{i}" for i in range(len(entry_ids)))
        entries = self.db.fetch(
            f"SELECT id, contribution_id, section_no, proposal, result, decision FROM abwaegung "
            f"WHERE procedure_id = :p AND id IN ({marks})",
            {"p": procedure_id, **{f"e{i}": e for i, e in enumerate(entry_ids)}},
        )
        by_contribution: dict[str, list[dict]] = {}
        for entry in entries:
            by_contribution.setdefault(entry["contribution_id"], []).append(entry)
        queued = 0
        for contribution_id, published in by_contribution.items():
            queued += self._event(
                contribution_id,
                "answer",
                lambda c, unsubscribe, p=published: mail_texts.answer_published(c, p, self.status_url(c), unsubscribe),
            )
        return queued

    def _event(self, contribution_id: str, kind: str, compose) -> int:
        if not self.settings.enabled:
            return 0
        subscriptions = self.db.fetch(
            f"SELECT id, contribution_id, email FROM {SUBSCRIPTIONS} WHERE "
            "contribution_id = :c AND confirmed_at IS NOT NULL",
            {"c": contribution_id},
        )
        if not subscriptions:
            return 0
        contribution = self._contribution(contribution_id)
        if contribution is None:
            return 0
        with self.db.transaction() as tx:
            for subscription in subscriptions:
                self._queue(tx, subscription, kind, compose(contribution, self.url("unsubscribe", subscription["id"])))
        self.wake()
        return len(subscriptions)

    # -- rows -----------------------------------------------------------------------------------------------------

    def _contribution(self, contribution_id: str, tx=None) -> dict | None:
        found = (tx or self.db).fetch(
            f"SELECT id, kind, status, status_note, reference, created_at, text FROM {CONTRIBUTIONS} WHERE id = :id",
            {"id": contribution_id},
        )
        if not found:
            return None
        row = found[0]
        row["created_at"] = iso(row["created_at"]) if hasattr(row["created_at"], "astimezone") else row["created_at"]
        return row

    @staticmethod
    def _delete(tx, column: str, value: str) -> int:
        """Delete subscriptions by ``column`` and their unsent mails; the number of subscriptions deleted."""
        ids = [r["id"] for r in tx.fetch(f"SELECT id FROM {SUBSCRIPTIONS} WHERE {column} = :v", {"v": value})]
        for identifier in ids:
            tx.execute(f"DELETE FROM {OUTBOX} WHERE subscription_id = :s", {"s": identifier})
            tx.execute(f"DELETE FROM {SUBSCRIPTIONS} WHERE id = :s", {"s": identifier})
        return len(ids)

    def _queue(self, tx, subscription: dict, kind: str, mail: mail_texts.Mail) -> None:
        moment = iso(now())
        tx.execute(
            f"INSERT INTO {OUTBOX} (id, subscription_id, contribution_id, kind, recipient, subject, "
            "body_text, body_html, unsubscribe_url, attempts, next_attempt_at, last_error, created_at) VALUES "
            "(:id, :subscription_id, :contribution_id, :kind, :recipient, :subject, :body_text, :body_html, "
            ":unsubscribe_url, 0, :at, NULL, :at)",
            {
                "id": str(uuid.uuid4()),
                "subscription_id": subscription["id"],
                "contribution_id": subscription["contribution_id"],
                "kind": kind,
                "recipient": subscription["email"],
                "subject": mail.subject,
                "body_text": mail.text,
                "body_html": mail.html,
                "unsubscribe_url": self.url("unsubscribe", subscription["id"]),
                "at": moment,
            },
        )


#: The process's notifier, set by ``api/notifications.install`` (None: mail is off, e.g. outside the app).
_NOTIFIER: Notifier | None = None


def configure(notifier: Notifier | None) -> None:
    global _NOTIFIER
    _NOTIFIER = notifier


def notifier() -> Notifier | None:
    """The configured notifier, if mail is set up in this process."""
    return _NOTIFIER if _NOTIFIER is not None and _NOTIFIER.settings.enabled else None


def safely(action: str, call: Callable[[], object]) -> object | None:
    """Run a notification step after a write has committed: a failure is logged, never raised."""
    try:
        return call()
    except Exception:  # the citizen's write is done; a mail problem must not turn it into a 500
        LOG.exception("e-mail notification (%s) failed", action)
        return None


# -- hooks for the write paths (providers/contributions.py, api/procedures.py) ---------------------------------


def take_address(feature: dict, error: type[Exception]) -> str | None:
    """Take ``notify_email`` out of a contribution's properties (it is never stored with it) and check it.

    Raises ``error`` (the caller's 400) for a bad address, or for any address when mail is not set up.
    """
    properties = feature.get("properties") if isinstance(feature, dict) else None
    if not isinstance(properties, dict) or FIELD not in properties:
        return None
    value = properties.pop(FIELD)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if notifier() is None:
        raise error(f"'{FIELD}': {NOT_CONFIGURED}")
    try:
        return check_address(value)
    except NotifyError as err:
        raise error(str(err)) from None


def _remember(state: str) -> None:
    """Tell the answer to this request how the address fared (header ``X-Notify-Email``, api/notifications.py)."""
    from flask import g, has_request_context

    if has_request_context():
        g.notify_email_state = state


def after_create(contribution_id: str, address: str | None) -> None:
    """After the contribution's commit: keep the address and queue its confirmation mail."""
    found = notifier()
    if address is None or found is None:
        return
    done = safely("subscribe", lambda: found.subscribe(contribution_id, address))
    _remember("confirmation-queued" if done else "failed")


def after_status(contribution: dict) -> None:
    """After a moderator's status change was committed: a mail to a confirmed address."""
    found = notifier()
    if found is not None:
        safely("status", lambda: found.status_changed(contribution))


def after_publish(procedure_id: str, entry_ids: list[str]) -> None:
    """After planners published Abwägung results: a mail per statement with a confirmed address."""
    found = notifier()
    if found is not None:
        safely("answer", lambda: found.answers_published(procedure_id, entry_ids))
