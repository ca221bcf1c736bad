"""Settings of staff sign-in (OpenID Connect), sessions and service tokens, from the environment.

A Kommune points the portal at its identity provider (Keycloak, Azure AD / Entra ID, ADFS, …)::

    BUERGERGIS_OIDC_ISSUER=https://login.kommune.de/realms/verwaltung
    BUERGERGIS_OIDC_CLIENT_ID=buergergis
    BUERGERGIS_OIDC_CLIENT_SECRET=…
    BUERGERGIS_OIDC_ROLES_CLAIM=realm_access.roles
    BUERGERGIS_OIDC_ROLE_MAP='{"stadtplanung": "planner", "buergerbuero": "moderator"}'

Without ``BUERGERGIS_OIDC_ISSUER`` and ``BUERGERGIS_OIDC_CLIENT_ID`` sign-in is off: ``/auth/login`` says so,
and staff use bearer tokens (``BUERGERGIS_PLANNER_TOKEN``, service tokens) only.
"""

from __future__ import annotations

import json
from functools import lru_cache

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from access.rules import ADMIN, MODERATOR, PLANNER

#: Our staff roles (access/rules.py), lowest first.
STAFF_ROLES = (MODERATOR, PLANNER, ADMIN)


class AccessSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BUERGERGIS_")

    #: The identity provider's issuer URL (its discovery document is ``<issuer>/.well-known/openid-configuration``;
    #: the full discovery URL is accepted, too). Empty: sign-in is not set up.
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    #: Empty for a public client (PKCE only); most Kommunen register a confidential client.
    oidc_client_secret: SecretStr = SecretStr("")
    oidc_scopes: str = "openid profile email"
    #: Where the roles are in the ID token / userinfo: a claim name, or a dotted path such as Keycloak's
    #: ``realm_access.roles`` or ``resource_access.buergergis.roles``.
    oidc_roles_claim: str = "roles"
    #: Claim value -> our role (moderator, planner, admin). Replaces the default when set.
    oidc_role_map: dict[str, str] = Field(default_factory=lambda: {role: role for role in STAFF_ROLES})
    #: Seconds to wait for the identity provider.
    oidc_timeout: float = 10.0

    #: A session ends after this long without a request ...
    session_idle_minutes: float = 60
    #: ... and this long after sign-in, whatever happens (a working day).
    session_max_hours: float = 10

    #: Shared with settings/__init__.py: decides the cookies' Secure flag and what counts as same-origin.
    public_url: str = "http://localhost:8050"

    @field_validator("oidc_role_map", mode="before")
    @classmethod
    def _parse_role_map(cls, value):
        if isinstance(value, str):
            value = json.loads(value) if value.strip() else {}
        return value

    @field_validator("oidc_role_map")
    @classmethod
    def _known_roles(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = {role for role in value.values() if role not in STAFF_ROLES}
        if unknown:
            raise ValueError(
                f"BUERGERGIS_OIDC_ROLE_MAP maps to unknown roles {sorted(unknown)}; use {', '.join(STAFF_ROLES)}"
            )
        return value

    @field_validator("session_idle_minutes", "session_max_hours", "oidc_timeout")
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be > 0")
        return value

    @property
    def oidc_configured(self) -> bool:
        return bool(self.oidc_issuer.strip() and self.oidc_client_id.strip())

    @property
    def discovery_url(self) -> str:
        issuer = self.oidc_issuer.strip().rstrip("/")
        if issuer.endswith("/.well-known/openid-configuration"):
            return issuer
        return f"{issuer}/.well-known/openid-configuration"

    @property
    def public_origin(self) -> str:
        """``scheme://host[:port]`` of the public URL (what a browser sends as ``Origin``)."""
        from urllib.parse import urlsplit

        parts = urlsplit(self.public_url)
        return f"{parts.scheme}://{parts.netloc}".lower()

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.lower().startswith("https://")

    @property
    def idle_seconds(self) -> float:
        return self.session_idle_minutes * 60

    @property
    def max_seconds(self) -> float:
        return self.session_max_hours * 3600


@lru_cache
def get_access_settings() -> AccessSettings:
    return AccessSettings()
