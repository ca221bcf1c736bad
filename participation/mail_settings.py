"""How the portal sends e-mail: SMTP settings from the environment (prefix ``BUERGERGIS_SMTP_``).

Without ``BUERGERGIS_SMTP_HOST`` and ``BUERGERGIS_SMTP_SENDER`` e-mail is off: nothing is sent, the
contribution form offers no address field, and an address sent to the API is refused with a 400 that
says so. Sending uses the standard library's ``smtplib`` (``participation/notify.py``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class MailSettings(BaseSettings):
    """SMTP server, sender and the portal address the links in mails point to."""

    model_config = SettingsConfigDict(env_prefix="BUERGERGIS_SMTP_")

    #: The SMTP server (e.g. ``smtp.kommune.de``); unset: no e-mail at all.
    host: str | None = None
    #: 587 (submission with STARTTLS), 465 (implicit TLS: ``security=ssl``) or 25.
    port: int = 587
    #: ``starttls`` (upgrade after connecting), ``ssl`` (TLS from the start) or ``none`` (a relay on localhost).
    security: Literal["starttls", "ssl", "none"] = "starttls"
    user: str | None = None
    password: SecretStr | None = None
    #: The From address, e.g. ``"Stadt Musterstadt – Beteiligung <beteiligung@musterstadt.de>"``.
    sender: str | None = None
    #: Where the links in mails lead (no trailing slash); default ``BUERGERGIS_PUBLIC_URL``.
    portal_url: str = Field(
        default="http://localhost:8050",
        validation_alias=AliasChoices("BUERGERGIS_SMTP_PORTAL_URL", "BUERGERGIS_PUBLIC_URL"),
    )
    #: Seconds to wait for the server per connection.
    timeout_s: float = 20.0
    #: Tries per mail before it is given up (and logged); waits double from ``retry_s`` on.
    max_attempts: int = 5
    retry_s: float = 60.0
    #: How long a confirmation link is valid (hours).
    confirm_hours: int = 72

    @property
    def enabled(self) -> bool:
        """Mail is configured: a server and a sender."""
        return bool(self.host and self.sender)

    @property
    def base_url(self) -> str:
        return self.portal_url.rstrip("/")


@lru_cache
def mail_settings() -> MailSettings:
    """The process's mail settings (read once from the environment)."""
    return MailSettings()
