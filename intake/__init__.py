"""The one intake of incoming features: every write path and process input checks here.

Whether a feature comes through OGC API Features (POST/PUT of a plan layer, buildings,
contributions), Open311, ``/api`` or a process input, and whichever store keeps it,
it passes the same pure functions, and a refusal reads the same everywhere:

* :mod:`intake.feature` -- the body, the id, the properties;
* :mod:`intake.geometry` -- the geometry: type, CRS, range, size caps, the collection's
  type, one repair;
* :mod:`intake.errors` -- the exception family with its HTTP status codes;
* :mod:`intake.messages` -- the German/English messages of writes (one catalogue of several,
  see :mod:`schema.bilingual`).

The package sits below ``providers`` and ``scenarios`` (it needs only the schema,
``store`` and ``layers.geometry``), so both can use it.
"""

from intake.errors import IntakeConflict, IntakeError
from intake.messages import message

__all__ = ["IntakeConflict", "IntakeError", "message"]
