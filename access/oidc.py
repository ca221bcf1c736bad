"""OpenID Connect sign-in against the Kommune's identity provider, with Authlib's Flask client.

Authorization code flow with PKCE (S256), ``state`` and ``nonce``. Authlib fetches the provider's discovery
document, builds the authorization URL, redeems the code (client_secret_basic, or none for a public client),
checks the ID token (signature against the provider's JWKS, issuer, audience, expiry, nonce) and reads the
userinfo endpoint. Authlib's Flask helpers would keep state, nonce and verifier in Flask's signed session
cookie; here they stay on the server (``staff_sessions`` rows of kind ``login``, access/sessions.py), so no
secret key has to be shared between workers and nothing of the sign-in lives in the browser but a random id.

Roles: :func:`role_from_claims` reads ``BUERGERGIS_OIDC_ROLES_CLAIM`` (a claim or a dotted path, e.g.
Keycloak's ``realm_access.roles``) from the ID token and userinfo together and maps its values through
``BUERGERGIS_OIDC_ROLE_MAP``; the highest role wins, no mapped value means citizen rights.
"""

from __future__ import annotations

from access.settings import STAFF_ROLES, AccessSettings

CITIZEN = "citizen"


def claim_values(claims: dict, path: str) -> list[str]:
    """The values at ``path`` ("roles", "realm_access.roles", or a claim name holding dots, e.g. a URI)."""
    if path in claims:
        value = claims[path]
    else:
        value = claims
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
            if value is None:
                break
    if value is None:
        return []
    if isinstance(value, str):
        return [v for v in value.replace(",", " ").split() if v]
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if isinstance(v, (str, int))]
    return []


def role_from_claims(claims: dict, path: str, role_map: dict[str, str]) -> str:
    mapped = {role_map[value] for value in claim_values(claims, path) if value in role_map}
    for role in reversed(STAFF_ROLES):  # admin, planner, moderator
        if role in mapped:
            return role
    return CITIZEN


def display_name(claims: dict) -> str:
    for key in ("name", "preferred_username", "email", "sub"):
        value = claims.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:200]
    return ""


class SignInFailed(Exception):
    """The provider refused or answered something we cannot accept; ``unreachable`` when it did not answer."""

    def __init__(self, message: str, unreachable: bool = False):
        super().__init__(message)
        self.unreachable = unreachable


class Oidc:
    def __init__(self, app, settings: AccessSettings, redirect_uri: str):
        # here, not at module import: only an installation with sign-in configured pays Authlib's ~0.15 s at start
        from authlib.integrations.flask_client import OAuth

        self.settings = settings
        self.redirect_uri = redirect_uri
        secret = settings.oidc_client_secret.get_secret_value()
        client_kwargs = {
            "scope": settings.oidc_scopes,
            "code_challenge_method": "S256",
            "default_timeout": settings.oidc_timeout,
        }
        if not secret:
            client_kwargs["token_endpoint_auth_method"] = "none"
        self.oauth = OAuth(app)
        self.client = self.oauth.register(
            "kommune",
            client_id=settings.oidc_client_id.strip(),
            client_secret=secret or None,
            server_metadata_url=settings.discovery_url,
            client_kwargs=client_kwargs,
        )

    def authorization(self) -> dict:
        """{"url", "state", "nonce", "code_verifier", "redirect_uri"} of a new sign-in."""
        try:
            found = self.client.create_authorization_url(self.redirect_uri)
        except Exception as err:  # requests errors, a broken discovery document, ...: re-raised as SignInFailed
            raise SignInFailed(f"discovery: {type(err).__name__}: {err}", unreachable=True) from err
        return {
            "url": found["url"],
            "state": found["state"],
            "nonce": found.get("nonce"),
            "code_verifier": found.get("code_verifier"),
            "redirect_uri": self.redirect_uri,
        }

    def finish(self, login: dict, code: str, issuer: str | None) -> dict:
        """Redeem ``code`` for the sign-in ``login``; returns the person's claims (ID token + userinfo)."""
        from authlib.common.errors import AuthlibBaseError
        from joserfc.errors import JoseError
        from requests import RequestException

        try:
            metadata = self.client.load_server_metadata()
            if issuer is not None and issuer != metadata.get("issuer"):  # RFC 9207: answer from whom we asked
                raise SignInFailed("the authorization response names another issuer")
            token = self.client.fetch_access_token(
                redirect_uri=login["redirect_uri"], code=code, code_verifier=login["code_verifier"]
            )
            if "id_token" not in token:
                raise SignInFailed("the provider sent no ID token (is 'openid' among the scopes?)")
            claims = dict(self.client.parse_id_token(token, nonce=login["nonce"]))
            if metadata.get("userinfo_endpoint"):
                info = dict(self.client.userinfo(token=token))
                if info.get("sub") != claims.get("sub"):
                    raise SignInFailed("userinfo belongs to another subject")
                claims = {**info, **claims}
        except RequestException as err:
            raise SignInFailed(f"{type(err).__name__}: {err}", unreachable=True) from err
        except (AuthlibBaseError, JoseError, KeyError, ValueError) as err:
            raise SignInFailed(f"{type(err).__name__}: {err}") from err
        if not claims.get("sub"):
            raise SignInFailed("the ID token has no subject")
        return claims

    def role(self, claims: dict) -> str:
        return role_from_claims(claims, self.settings.oidc_roles_claim.strip(), self.settings.oidc_role_map)
