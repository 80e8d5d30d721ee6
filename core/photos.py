"""Photos people send (a complaint's, a funded project's): images only, judged by their bytes, kept under random names.

What the sender's browser calls the file (its name, its Content-Type) is never trusted: the first bytes say what
it is (JPEG, PNG or WebP), the stored name is random (``secrets.token_hex``), and the photo is served back with
the type its bytes showed. Each kind of photo has its own :class:`PhotoFolder` inside the app's instance folder
and its own "no such photo" error. No Flask here: the caller says where the instance folder is.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from core.errors import N_, ErrorCode, invalid

MOST_BYTES = 5 * 1024 * 1024
UPLOAD_MOST_BYTES = MOST_BYTES + 64 * 1024
"""What a request carrying a photo may weigh: the photo and a form's own bytes around it (its boundary, its other
fields); the photo itself is held to :data:`MOST_BYTES` by its check."""

PHOTO_TOO_LARGE = ErrorCode("photo_too_large", 413, N_("The photo is too large: at most %(most)s MB, please."))
NOT_AN_IMAGE = invalid("not_an_image", N_("This is not a photo: please send a JPEG, PNG or WebP picture."))


def image_type(data: bytes) -> str | None:
    """The picture's media type from its magic number, or None for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def checked(data: bytes, field: str = "photo") -> str:
    """The photo's media type; 413 when it is too large, 422 when its bytes are not a picture."""
    if len(data) > MOST_BYTES:
        raise PHOTO_TOO_LARGE(most=MOST_BYTES // (1024 * 1024), field=field)
    kind = image_type(data)
    if kind is None:
        raise NOT_AN_IMAGE(field=field)
    return kind


def _safe(name: str | None) -> bool:
    return bool(name) and "/" not in name and "\\" not in name and not name.startswith(".")


@dataclass(frozen=True)
class PhotoFolder:
    """One kind of photo: its ``folder`` inside the instance folder, and the 404 when a photo is not there."""

    folder: str
    missing: ErrorCode

    def store(self, instance_path: str, data: bytes) -> tuple[str, str]:
        """Write a checked photo under a new random name; return (name, media type)."""
        kind = checked(data)
        folder = Path(instance_path) / self.folder
        folder.mkdir(parents=True, exist_ok=True)
        name = secrets.token_hex(16) + "." + kind.removeprefix("image/")
        (folder / name).write_bytes(data)
        return name, kind

    def read(self, instance_path: str, name: str | None) -> bytes:
        """The stored photo's bytes; 404 when there is none (or its file is gone)."""
        path = Path(instance_path) / self.folder / name if _safe(name) else None
        if path is None or not path.is_file():
            raise self.missing()
        return path.read_bytes()

    def remove(self, instance_path: str, name: str | None) -> None:
        """Forget a photo replaced by another (a missing file is no matter)."""
        if _safe(name):
            (Path(instance_path) / self.folder / name).unlink(missing_ok=True)
