"""German/English messages: the form of every message catalogue, and the one way a message is written.

A person reads every refusal of this application as ``"Deutsch / English"``. The texts are not written where
something is refused but kept in catalogues, one ``messages`` module per package that refuses something
(``intake/messages.py`` for incoming features, ``access/messages.py``, ``layers/messages.py``,
``participation/messages.py``, ``scenarios/messages.py``, ``api/messages.py``): each holds ``MESSAGES``,
``key -> (Deutsch, English)``, whose two templates take the same ``str.format`` fields (a field only the
German needs ends in ``_de``; the English may add a technical detail the German leaves out, e.g. a
parser's error), and reads it through a :class:`Catalogue`. The form lives here, in a leaf package, so
that every package can use it (``access`` sits beside ``intake`` and may not import it);
``tests/intake/test_messages.py`` checks every catalogue.

>>> demo = Catalogue({"empty": ("Leer", "empty"), "long": ("{name!r} ist zu lang", "{name!r} is too long")})
>>> demo.message("long", name="title")
"'title' ist zu lang / 'title' is too long"
>>> demo.pair("empty")
('Leer', 'empty')
>>> split(demo.message("empty"))
('Leer', 'empty')
"""

from __future__ import annotations

from collections.abc import Mapping

#: What stands between the German and the English of a message.
SEPARATOR = " / "


def join(german: str, english: str) -> str:
    """``"Deutsch / English"``: a message, or a label shown in both languages."""
    return f"{german}{SEPARATOR}{english}"


def split(text: str) -> tuple[str, str]:
    """(German, English) of a joined message, for a page that shows one language; (text, text) if not joined."""
    german, separator, english = text.partition(SEPARATOR)
    return (german, english) if separator else (text, text)


class Catalogue:
    """Messages by key, ``key -> (German template, English template)``, filled in and joined."""

    def __init__(self, entries: Mapping[str, tuple[str, str]]):
        self.entries = entries

    def pair(self, key: str, **fields) -> tuple[str, str]:
        """(German, English) of entry ``key`` with ``fields`` filled in."""
        german, english = self.entries[key]
        return german.format(**fields), english.format(**fields)

    def message(self, key: str, **fields) -> str:
        """Entry ``key`` as ``"Deutsch / English"`` with ``fields`` filled in."""
        return join(*self.pair(key, **fields))
