"""Feedback on accessibility (Erklärung zur Barrierefreiheit, BITV 2.0 § 7): stored for the Kommune's staff.

A citizen who meets a barrier writes what and where; the row waits in the support table
``accessibility_feedback`` (both stores, through :class:`access.db.Db`) until an admin has read and
answered it and deletes it. No IP address, no cookie, nothing but what the person typed and when.
"""

from __future__ import annotations

import secrets
import threading

from access.db import Db, iso, now
from participation.messages import message as text
from schema.catalog import SUPPORT_TABLES, Layer

TABLE = "accessibility_feedback"

#: Limits of the form's fields (characters).
MAX_MESSAGE, MIN_MESSAGE, MAX_PAGE, MAX_CONTACT = 4000, 10, 300, 200

FEEDBACK_TABLE = SUPPORT_TABLES.setdefault(
    TABLE,
    Layer(
        id=TABLE,
        title_de="Rückmeldungen zur Barrierefreiheit",
        title_en="Feedback on accessibility",
        description_de="Gemeldete Barrieren (Erklärung zur Barrierefreiheit, BITV 2.0): Text, Ort, freiwilliger Kontakt.",
        description_en="Barriers reported by visitors (accessibility statement, BITV 2.0): text, place, optional contact.",
        geometry_type=None,
        columns={
            "id": "text",
            "created_at": "datetime",
            "lang": "text",
            "page": "text",
            "message": "text",
            "contact": "text",
        },
        indexes=("created_at",),
    ),
)


class FeedbackError(ValueError):
    """A field of the form is not usable; ``field`` names it, the message is "Deutsch / English"."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def clean(message: str | None, page: str | None, contact: str | None) -> dict:
    """The form's fields checked and trimmed; raises :class:`FeedbackError` naming the first bad field."""
    message, page, contact = ((value or "").strip() for value in (message, page, contact))
    if len(message) < MIN_MESSAGE:
        raise FeedbackError("message", text("feedback_too_short", min=MIN_MESSAGE))
    if len(message) > MAX_MESSAGE:
        raise FeedbackError("message", text("feedback_too_long", max=MAX_MESSAGE, length=len(message)))
    if len(page) > MAX_PAGE:
        raise FeedbackError("page", text("at_most_characters", max=MAX_PAGE))
    if len(contact) > MAX_CONTACT:
        raise FeedbackError("contact", text("at_most_characters", max=MAX_CONTACT))
    return {"message": message, "page": page or None, "contact": contact or None}


class FeedbackStore:
    """Rows of ``accessibility_feedback`` in one store (GeoPackage or PostGIS)."""

    _dbs: dict[str, Db] = {}
    _created: set[str] = set()
    _lock = threading.Lock()

    def __init__(self, url: str, epsg: int | None = None):
        self.url, self.epsg = url, epsg
        with self._lock:  # one Db (its small connection pool) per store and process
            self.db = self._dbs.get(url) or self._dbs.setdefault(url, Db(url))
        self._ensure_table()

    def _ensure_table(self) -> None:
        with self._lock:
            if self.url in self._created:
                return
            from store.base import open_store

            store = open_store(self.url, epsg=self.epsg)
            try:
                store.create_schema([FEEDBACK_TABLE])
            finally:
                store.close()
            self._created.add(self.url)

    def add(self, message: str | None, page: str | None = None, contact: str | None = None, lang: str = "de") -> str:
        """Store one feedback (checked by :func:`clean`); its id."""
        row = clean(message, page, contact)
        identifier = secrets.token_hex(8)
        self.db.execute(
            f"INSERT INTO {TABLE} (id, created_at, lang, page, message, contact) "
            "VALUES (:id, :at, :lang, :page, :message, :contact)",
            {"id": identifier, "at": iso(now()), "lang": "en" if lang == "en" else "de", **row},
        )
        return identifier

    def recent(self, limit: int = 200) -> list[dict]:
        """The newest feedback first."""
        rows = self.db.fetch(
            f"SELECT id, created_at, lang, page, message, contact FROM {TABLE} "
            "ORDER BY created_at DESC, id LIMIT :limit",
            {"limit": int(limit)},
        )
        from access.db import as_iso

        return [{**row, "created_at": as_iso(row["created_at"])} for row in rows]

    def delete(self, identifier: str) -> bool:
        """Remove one feedback once it is dealt with; False when there was none."""
        return self.db.execute(f"DELETE FROM {TABLE} WHERE id = :id", {"id": identifier}) > 0
