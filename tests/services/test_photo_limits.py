"""What decoding a photo may cost a worker: PNG and WebP decode at full size, so one with more
pixels than its format's limit is refused; a JPEG decodes reduced (1/2, 1/4, 1/8) until it fits,
and is stored at that size."""

import io

import pytest
from PIL import Image

from equipment_share.domain.errors import Message, ValidationFailed
from equipment_share.services import photos
from equipment_share.services.photos import TOO_MANY_PIXELS, reencode


def image_bytes(image_format: str, size, mode="RGB") -> bytes:
    output = io.BytesIO()
    Image.new(mode, size, 120).save(output, format=image_format)
    return output.getvalue()


def stored_size(data: bytes) -> tuple[int, int]:
    encoded, _ = reencode(data)
    return Image.open(io.BytesIO(encoded)).size


@pytest.mark.parametrize(
    ("image_format", "size", "megapixels"),
    [("PNG", (1500, 1400), 2), ("WEBP", (1100, 1100), 1)],
)
def test_a_colour_photo_over_its_formats_limit_is_refused(image_format, size, megapixels):
    with pytest.raises(ValidationFailed) as refused:
        reencode(image_bytes(image_format, size))

    assert refused.value.fields == {"photo": Message(TOO_MANY_PIXELS, {"megapixels": megapixels})}


def test_a_grey_photo_may_have_four_times_the_pixels():
    assert stored_size(image_bytes("PNG", (1500, 1400), "L")) == (1500, 1400)


def test_a_jpeg_decodes_reduced_until_it_fits(monkeypatch):
    data = image_bytes("JPEG", (800, 600))
    assert stored_size(data) == (800, 600)

    monkeypatch.setitem(photos.MAX_DECODED_PIXELS, "JPEG", 100_000)

    assert stored_size(data) == (200, 150)  # 1/2 is still 120,000 pixels: 1/4


def test_a_jpeg_larger_than_the_catalogue_decodes_no_larger_than_it_is_stored():
    # 4,800 x 2,400 decodes at 1/2, exactly the stored 2,400 x 1,200
    assert stored_size(image_bytes("JPEG", (4800, 2400))) == (2400, 1200)
