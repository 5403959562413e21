"""Instrument photos: decoded and re-encoded with Pillow, so that what is stored and served is
an image the app made itself (a file that starts with JPEG bytes but is HTML or a script is
refused; EXIF data such as GPS positions is dropped), within a pixel limit against
decompression bombs."""

from __future__ import annotations

import io
import math
import secrets
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from equipment_share.domain.errors import N_, Message, ValidationFailed
from equipment_share.models import Equipment, User
from equipment_share.services.equipment import set_photo

if TYPE_CHECKING:
    from PIL import Image

FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
# 24 megapixels: more than phone and lab cameras take. Checked from the header, before decoding.
MAX_PHOTO_PIXELS = 24_000_000
# photos are shown in the catalogue, not printed: larger ones are scaled down
MAX_PHOTO_SIDE = 2400
# What a worker may decode for one photo, in colour pixels (grey and palette images take a
# quarter of the memory, so four times as many): decoding it, scaling it down and encoding it
# again then cost a worker at most about 30 MB (measured: 2 MP of PNG 27 MB, 1.2 MP of WebP
# 23 MB, libwebp's buffers being large). A JPEG decodes at 1/2, 1/4 or 1/8 of its size, the
# least reduction that fits (a 24-megapixel one at 1/4, and is stored that large); PNG and WebP
# decode at full size, so a larger one is refused. Before these limits a 24-megapixel PNG took
# a gunicorn worker to 351 MB, a JPEG to 300 MB (benchmarks/bench_hostile_uploads.py).
MAX_DECODED_PIXELS = {"JPEG": 3_000_000, "PNG": 2_000_000, "WEBP": 1_200_000}
NOT_AN_IMAGE = Message(N_("Only JPEG, PNG or WebP photos are accepted."))
TOO_MANY_PIXELS = N_("The photo may have at most %(megapixels)d megapixels.")


def _refuse(message: Message):
    raise ValidationFailed({"photo": message})


def _decoded_limit(image: Image.Image) -> int:
    limit = MAX_DECODED_PIXELS[image.format]
    return 4 * limit if image.mode in ("1", "L", "P") else limit


def _scaled_to_fit(size: tuple[int, int]) -> tuple[int, int]:
    """The size the photo is stored at: at most MAX_PHOTO_SIDE on its longer side."""
    width, height = size
    scale = min(1.0, MAX_PHOTO_SIDE / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _decode_reduced(image: Image.Image) -> None:
    """JPEG: decode at the largest reduction that still gives the stored size, or more if the
    decoded photo would have more pixels than its limit (such a photo is stored smaller)."""
    if image.format != "JPEG":
        return
    width, height = image.size
    stored_width, stored_height = _scaled_to_fit(image.size)
    limit = _decoded_limit(image)
    scale = 1
    while (
        scale < 8
        and width // (2 * scale) >= stored_width
        and height // (2 * scale) >= stored_height
    ):
        scale *= 2
    while scale < 8 and math.ceil(width / scale) * math.ceil(height / scale) > limit:
        scale *= 2
    image.draft("RGB", (max(1, width // scale), max(1, height // scale)))


def reencode(data: bytes) -> tuple[bytes, str]:
    """The photo decoded and encoded again in its own format, and the file extension."""
    # Pillow when a photo arrives, not at start: a worker that never takes one saves 2-3 MB
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
            if image.width * image.height > MAX_PHOTO_PIXELS:
                _refuse(Message(TOO_MANY_PIXELS, {"megapixels": MAX_PHOTO_PIXELS // 1_000_000}))
            image_format = image.format
            _decode_reduced(image)
            if image.width * image.height > _decoded_limit(image):
                megapixels = max(1, _decoded_limit(image) // 1_000_000)
                _refuse(Message(TOO_MANY_PIXELS, {"megapixels": megapixels}))
            ImageOps.exif_transpose(image, in_place=True)  # a copy would double the memory
            image.thumbnail((MAX_PHOTO_SIDE, MAX_PHOTO_SIDE))
    except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        _refuse(NOT_AN_IMAGE)
    except (OSError, ValueError, SyntaxError, EOFError):  # truncated or corrupt image data
        _refuse(NOT_AN_IMAGE)
    if image_format == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    output = io.BytesIO()
    image.save(output, format=image_format, **({"quality": 88} if image_format != "PNG" else {}))
    return output.getvalue(), FORMATS[image_format]


def save_photo(actor: User, equipment: Equipment, data: bytes, folder: str, max_bytes: int) -> str:
    """Check and store the photo; the old one is removed once the new one is in place."""
    if len(data) > max_bytes:
        _refuse(Message(N_("The photo may be at most %(mb)d MB."), {"mb": max_bytes // 2**20}))
    image, extension = reencode(data)
    previous = equipment.photo_filename
    filename = f"equipment-{equipment.id}-{secrets.token_hex(8)}.{extension}"
    set_photo(actor, equipment, filename)
    directory = Path(folder)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / filename).write_bytes(image)
    if previous:
        (directory / previous).unlink(missing_ok=True)
    return filename
