"""The one exception family of the intake, with the HTTP status each member answers.

Modelled on pygeoapi's ``provider/base.py`` (``ProviderGenericError`` carries
``http_status_code`` and ``ogc_exception_code``, which pygeoapi's API turns into the
response) and tipg's ``errors.py`` (one class per status). Every member passes its
message as ``user_msg``: without it pygeoapi shows "generic error (check logs)".
"""

from __future__ import annotations

from pygeoapi.provider.base import ProviderInvalidDataError

from intake.messages import message


class IntakeError(ProviderInvalidDataError):
    """An incoming feature (or process input) that cannot be taken as sent: 400, the message says what to change.

    ``key`` is the catalogue entry (:mod:`intake.messages`) the message came from, or None
    for a message composed elsewhere (e.g. an e-mail address check in ``participation``).
    """

    http_status_code = 400
    ogc_exception_code = "InvalidParameterValue"

    def __init__(self, msg: str, key: str | None = None):
        super().__init__(msg, user_msg=msg)
        self.key = key

    @classmethod
    def of(cls, key: str, **fields) -> IntakeError:
        """The error for catalogue entry ``key`` with ``fields`` filled in."""
        return cls(message(key, **fields), key=key)


class IntakeConflict(IntakeError):
    """The feature is fine but clashes with what is stored (an id taken already): 409."""

    http_status_code = 409
    ogc_exception_code = "Conflict"


__all__ = ["IntakeConflict", "IntakeError"]
