"""An event's cover image: only real JPEG/PNG/WebP content, re-encoded to a share-sized JPEG without metadata."""

import io

import pytest
from PIL import Image

from app.invitations.images import MAX_BYTES, SHARE_WIDTH, ImageRefused, prepare_image


def encode(image: Image.Image, fmt: str, **kw) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **kw)
    return out.getvalue()


def opened(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    image.load()
    return image


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_each_accepted_format_becomes_a_jpeg(fmt):
    result = opened(prepare_image(encode(Image.new("RGB", (400, 300), (10, 120, 200)), fmt)))
    assert result.format == "JPEG" and result.mode == "RGB" and result.size == (400, 300)


def test_a_large_photo_is_resized_to_the_share_width_keeping_its_shape():
    result = opened(prepare_image(encode(Image.new("RGB", (4000, 3000), (200, 200, 0)), "JPEG")))
    assert result.size == (SHARE_WIDTH, 900)


def test_metadata_is_stripped_and_the_photo_stands_upright():
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to view
    exif[0x010F] = "SecretCam"  # camera maker
    exif[0x8825] = {2: (39.0, 54.0, 27.0)}  # GPS latitude
    photo = encode(
        Image.new("RGB", (300, 100), (0, 0, 0)),
        "JPEG",
        exif=exif,
        comment=b"private note",
        icc_profile=b"secret profile",
        xmp=b"<x:xmpmeta>secret xmp</x:xmpmeta>",
    )
    content = prepare_image(photo)
    result = opened(content)
    assert result.size == (100, 300)  # turned upright
    assert not result.getexif()
    assert not {"exif", "comment", "icc_profile", "xmp"} & set(result.info)
    assert not [s for s in (b"SecretCam", b"private note", b"secret") if s in content]


def test_transparency_is_flattened_on_white():
    logo = Image.new("RGBA", (20, 20), (0, 0, 0, 0))
    result = opened(prepare_image(encode(logo, "PNG")))
    assert result.mode == "RGB" and min(result.getpixel((10, 10))) > 245


@pytest.mark.parametrize(
    "content",
    [
        b"<svg xmlns='http://www.w3.org/2000/svg'></svg>",
        b"%PDF-1.4 not an image",
        b"GIF89a" + b"\0" * 64,
        encode(Image.new("RGB", (30, 30)), "GIF"),  # a real image, but not a format we take
        encode(Image.new("RGB", (300, 300)), "JPEG")[:200],  # truncated
        b"\x89PNG\r\n\x1a\n" + b"junk" * 50,  # PNG signature, forged body
    ],
    ids=["svg", "pdf", "fake-gif", "gif", "truncated-jpeg", "forged-png"],
)
def test_anything_that_is_not_a_jpeg_png_or_webp_is_refused(content):
    with pytest.raises(ImageRefused) as refused:
        prepare_image(content)
    assert refused.value.code == "image_type" and refused.value.details == {"field": "image"}


def test_empty_too_large_and_too_many_pixels_are_refused():
    with pytest.raises(ImageRefused) as refused:
        prepare_image(b"")
    assert refused.value.code == "image_empty"
    big = encode(Image.new("RGB", (16, 16)), "PNG") + b"\0" * MAX_BYTES
    with pytest.raises(ImageRefused) as refused:
        prepare_image(big)
    assert refused.value.code == "image_too_large"
    # A small file whose header announces 48 million pixels (a decompression bomb) is not decoded.
    bomb = encode(Image.new("1", (8000, 6000)), "PNG")
    assert len(bomb) < MAX_BYTES
    with pytest.raises(ImageRefused) as refused:
        prepare_image(bomb)
    assert refused.value.code == "image_too_many_pixels"


@pytest.mark.parametrize(
    ("mode", "fmt"),
    [("I;16", "PNG"), ("P", "PNG"), ("L", "PNG"), ("1", "PNG"), ("CMYK", "JPEG"), ("RGBA", "WEBP")],
)
def test_every_colour_mode_of_the_accepted_formats_becomes_rgb(mode, fmt):
    result = opened(prepare_image(encode(Image.new(mode, (64, 48)), fmt)))
    assert result.mode == "RGB" and result.size == (64, 48)
