"""Instrument photos: the type is read from the bytes, not trusted from the file name."""

import secrets
from pathlib import Path

from equipment_share.domain.errors import N_, Message, ValidationFailed
from equipment_share.models import Equipment, User
from equipment_share.services.equipment import set_photo

SIGNATURES = {
    b"\xff\xd8\xff": "jpg",
    b"\x89PNG\r\n\x1a\n": "png",
}


def image_type(data: bytes) -> str | None:
    for signature, extension in SIGNATURES.items():
        if data.startswith(signature):
            return extension
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def save_photo(actor: User, equipment: Equipment, data: bytes, folder: str, max_bytes: int) -> str:
    """Check and store the photo; the old one is removed once the new one is in place."""
    if len(data) > max_bytes:
        raise ValidationFailed(
            {
                "photo": Message(
                    N_("The photo may be at most %(mb)d MB."), {"mb": max_bytes // 2**20}
                )
            }
        )
    extension = image_type(data)
    if extension is None:
        raise ValidationFailed(
            {"photo": Message(N_("Only JPEG, PNG or WebP photos are accepted."))}
        )
    previous = equipment.photo_filename
    filename = f"equipment-{equipment.id}-{secrets.token_hex(8)}.{extension}"
    set_photo(actor, equipment, filename)
    directory = Path(folder)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / filename).write_bytes(data)
    if previous:
        (directory / previous).unlink(missing_ok=True)
    return filename
