"""Photos of Mängelmeldungen: checked, re-encoded without metadata, stored beside their report.

A phone photo carries the place it was taken (EXIF GPS), the phone's make and often the owner's name.
Nothing of the upload is kept: Pillow decodes it, turns it upright by its EXIF orientation, scales it
to at most ``long_side`` pixels and writes a fresh JPEG with no EXIF, XMP or comments (only the colour
profile stays, it says nothing about the person). What cannot be decoded is refused.

Accepted: JPEG, PNG, WebP and -- where the optional ``pillow-heif`` package is installed -- HEIC/HEIF
from iPhones; without it a HEIC upload is refused with a message saying how to send it instead.
Limits (``BUERGERGIS_PHOTO_*``): bytes per file and per request, pixels per image (a decompression
bomb -- a small file that unpacks to gigapixels -- is refused before it is decoded), photos per report.

Stored in the store itself, table ``contribution_photos`` (base64 text: the stores' column types have
no binary one), so a photo lives and dies with its report in the same transaction, reaches every
worker and machine of a PostGIS installation, and is in every backup of the store.
"""

from __future__ import annotations

import base64
import io
import os
import threading
import uuid
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic_settings import BaseSettings, SettingsConfigDict

from participation.messages import message, pair
from schema.catalog import Layer

if TYPE_CHECKING:
    from PIL import Image

TABLE = "contribution_photos"
MEDIA_TYPE = "image/jpeg"
#: Pillow's format names we decode (HEIF only with pillow-heif, :func:`heif_supported`).
FORMATS = frozenset({"JPEG", "PNG", "WEBP", "MPO"})

_HEIF: list[bool] = []  # filled by the first heif_supported()
_HEIF_LOCK = threading.Lock()


def heif_supported() -> bool:
    """Whether HEIC/HEIF from phones is read here (the optional pillow-heif), its opener registered with Pillow.

    Imported at the first photo, not at start: Pillow and pillow-heif cost every server process ~0.1 s."""
    with _HEIF_LOCK:
        if not _HEIF:
            try:
                from pillow_heif import register_heif_opener

                register_heif_opener()
                _HEIF.append(True)
            except ImportError:  # pragma: no cover - depends on the installation
                _HEIF.append(False)
        return _HEIF[0]


def __getattr__(name: str):
    """``HEIF_SUPPORTED``, as this module had it before pillow-heif was imported on first use."""
    if name == "HEIF_SUPPORTED":
        return heif_supported()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _formats_heic() -> tuple[frozenset[str], str]:
    """The formats decoded here, and how they end in a refusal: ", HEIC" where this server reads HEIC/HEIF."""
    return (FORMATS | {"HEIF"}, ", HEIC") if heif_supported() else (FORMATS, "")


PHOTOS = Layer(
    id=TABLE,
    title_de="Fotos von Mängelmeldungen",
    title_en="Photos of defect reports",
    description_de="Fotos zu Mängelmeldungen, neu kodiert, ohne Metadaten.",
    description_en="Photos of defect reports, re-encoded without metadata.",
    geometry_type=None,
    columns={
        "id": "text",  # the file name served at /api/media/<id>: "<uuid>.jpg"
        "contribution_id": "text",
        "position": "integer",  # 1, 2, 3 in upload order
        "media_type": "text",
        "width": "integer",
        "height": "integer",
        "byte_size": "integer",
        "data": "text",  # base64 of the JPEG
        "created_at": "datetime",
    },
    indexes=("contribution_id",),
)


class PhotoSettings(BaseSettings):
    """``BUERGERGIS_PHOTO_*``: limits for photos of Mängelmeldungen."""

    model_config = SettingsConfigDict(env_prefix="BUERGERGIS_PHOTO_")

    max_per_report: int = 3
    #: One uploaded file (a phone's JPEG or HEIC is 2-8 MB).
    max_file_bytes: int = 12_000_000
    #: One request with all its files.
    max_request_bytes: int = 30_000_000
    #: Pixels of one decoded image (a 50-megapixel phone camera fits; a decompression bomb does not).
    max_pixels: int = 60_000_000
    #: Longest side of the stored photo.
    long_side: int = 2048
    quality: int = 82


class PhotoError(ValueError):
    """An upload that cannot become a photo; ``status`` 400, 413 or 415, message in German / English."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Photo:
    """A re-encoded photo, ready to store."""

    data: bytes
    width: int
    height: int


def heic_refusal(filename: str) -> str:
    return message("photo_heic", name=filename)


def reencode(raw: bytes, filename: str = "Foto", settings: PhotoSettings | None = None) -> Photo:
    """Decode an upload and write it anew as a JPEG without metadata; :class:`PhotoError` if it cannot be."""
    from PIL import Image, ImageOps, UnidentifiedImageError  # here, not at start: see heif_supported()

    formats, heic = _formats_heic()
    settings = settings or PhotoSettings()
    name = (filename or "Foto")[:80]
    if len(raw) > settings.max_file_bytes:
        raise PhotoError(
            413, message("photo_file_too_large", name=name, mb=len(raw) / 1e6, max_mb=settings.max_file_bytes / 1e6)
        )
    if not raw:
        raise PhotoError(400, message("photo_file_empty", name=name))
    with warnings.catch_warnings():
        # Pillow warns (and beyond twice its own limit raises) on huge images; ours is checked below.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(raw))
        except Image.DecompressionBombError:
            raise _too_many_pixels(name, None, settings) from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            if not heic and raw[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc", b"ftypmsf1"):
                raise PhotoError(415, heic_refusal(name)) from None
            raise PhotoError(415, message("photo_unreadable", name=name, heic=heic)) from None
        with image:
            if image.format not in formats:
                raise PhotoError(415, message("photo_format", name=name, format=image.format, heic=heic))
            width, height = image.size
            if width * height > settings.max_pixels:  # checked before decoding: no memory spent on a bomb
                raise _too_many_pixels(name, (width, height), settings)
            try:
                image.load()
                upright = ImageOps.exif_transpose(image)  # the orientation EXIF says, before EXIF is dropped
                rgb = _flatten(upright)
                rgb.thumbnail((settings.long_side, settings.long_side), Image.Resampling.LANCZOS)
                out = io.BytesIO()
                # No exif=, no xmp=, no comment=: Pillow writes none of them unless given.
                rgb.save(
                    out,
                    format="JPEG",
                    quality=settings.quality,
                    optimize=True,
                    progressive=True,
                    icc_profile=image.info.get("icc_profile"),
                )
            except Image.DecompressionBombError:
                raise _too_many_pixels(name, (width, height), settings) from None
            except (OSError, ValueError, SyntaxError) as err:
                raise PhotoError(400, message("photo_damaged", name=name, error=err)) from None
    return Photo(out.getvalue(), rgb.width, rgb.height)


def _too_many_pixels(name: str, size: tuple[int, int] | None, settings: PhotoSettings) -> PhotoError:
    size_de, size_en = pair("photo_size", width=size[0], height=size[1]) if size else pair("photo_size_unknown")
    return PhotoError(
        413,
        message("photo_too_many_pixels", name=name, size_de=size_de, size=size_en, max=settings.max_pixels / 1e6),
    )


def _flatten(image: Image.Image) -> Image.Image:
    """RGB for JPEG; transparency (PNG, WebP) on white, as a viewer would show it."""
    from PIL import Image

    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


# -- storage --------------------------------------------------------------------------------------------------------


class TooManyPhotos(PhotoError):
    def __init__(self, limit: int, have: int):
        super().__init__(400, message("photos_too_many", max=limit, have=have))


def add(rows, contribution_id: str, photos: list[Photo], now: str, limit: int) -> list[str]:
    """Store photos of one report (in one transaction; refused whole if the report would hold more than
    ``limit``); their names."""
    names = []
    with rows.transaction() as tx:
        have = int(
            tx.fetch(f"SELECT count(*) AS n FROM {TABLE} WHERE contribution_id = :c", {"c": contribution_id})[0]["n"]
        )
        if have + len(photos) > limit:
            raise TooManyPhotos(limit, have)
        for position, photo in enumerate(photos, start=have + 1):
            name = f"{uuid.uuid4().hex}.jpg"
            tx.execute(
                f"INSERT INTO {TABLE} (id, contribution_id, position, media_type, width, height, byte_size, "
                "data, created_at) VALUES (:id, :c, :p, :t, :w, :h, :b, :d, :now)",
                {
                    "id": name,
                    "c": contribution_id,
                    "p": position,
                    "t": MEDIA_TYPE,
                    "w": photo.width,
                    "h": photo.height,
                    "b": len(photo.data),
                    "d": base64.b64encode(photo.data).decode("ascii"),
                    "now": now,
                },
            )
            names.append(name)
    return names


def names_of(rows, contribution_ids: list[str]) -> dict[str, list[str]]:
    """The photo names of each contribution, in upload order (contributions without photos are left out)."""
    found: dict[str, list[str]] = {}
    for start in range(0, len(contribution_ids), 500):
        chunk = contribution_ids[start : start + 500]
        marks = ", ".join(f":c{i}" for i in range(len(chunk)))
        for row in rows.fetch(
            f"SELECT id, contribution_id FROM {TABLE} WHERE contribution_id IN ({marks}) "
            "ORDER BY contribution_id, position",
            {f"c{i}": c for i, c in enumerate(chunk)},
        ):
            found.setdefault(row["contribution_id"], []).append(row["id"])
    return found


def any_stored(rows) -> bool:
    return bool(rows.fetch(f"SELECT id FROM {TABLE} LIMIT 1"))


def read(rows, name: str) -> tuple[str, bytes] | None:
    """(contribution id, JPEG bytes) of a stored photo, None if there is none of that name."""
    found = rows.fetch(f"SELECT contribution_id, data FROM {TABLE} WHERE id = :id", {"id": name})
    if not found:
        return None
    return found[0]["contribution_id"], base64.b64decode(found[0]["data"])


def delete(rows, contribution_id: str, name: str) -> bool:
    with rows.transaction() as tx:
        return (
            tx.execute(
                f"DELETE FROM {TABLE} WHERE id = :id AND contribution_id = :c", {"id": name, "c": contribution_id}
            )
            > 0
        )


def media_url(name: str) -> str:
    """The public address of a stored photo (``BUERGERGIS_PUBLIC_URL``/api/media/<name>)."""
    base = os.environ.get("BUERGERGIS_PUBLIC_URL", "http://localhost:8050").rstrip("/")
    return f"{base}/api/media/{name}"
