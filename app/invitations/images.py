"""An event's cover image: checked by its content and re-encoded for sharing (WeChat preview, RSVP page).

`prepare_image(content)` takes the uploaded bytes and returns a JPEG of at most `SHARE_WIDTH` ×
`SHARE_MAX_HEIGHT` pixels without any metadata (EXIF, GPS, comments, colour profiles), or raises
`ImageRefused` with a code and a message for the form field. The file's name and declared type are
never trusted: Pillow must decode the bytes as JPEG, PNG or WebP. No Flask, no database.
"""

import io
import warnings

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps

from app.core.errors import DomainError

MAX_BYTES = 5 * 1024 * 1024
# Refuse images whose header announces more pixels than a camera makes (decompression bombs).
MAX_PIXELS = 40_000_000
SHARE_WIDTH = 1200
SHARE_MAX_HEIGHT = 2400  # tall posters stay readable; the page crops the header to its box
FORMATS = ("JPEG", "PNG", "WEBP")
CONTENT_TYPE = "image/jpeg"
JPEG_QUALITY = 85

REFUSALS = {
    "image_empty": _l("The image file is empty."),
    "image_too_large": _l("The image is too large (at most 5 MB)."),
    "image_type": _l("Upload a JPEG, PNG or WebP image."),
    "image_too_many_pixels": _l("The image has too many pixels (at most 40 megapixels)."),
}


class ImageRefused(DomainError):
    """The upload is not an image we accept; `code` is a key of REFUSALS."""

    def __init__(self, code: str):
        super().__init__(code, REFUSALS[code], field="image")


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on a white background (JPEG has no transparency)."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, (255, 255, 255))
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    if image.mode.startswith("I"):  # 16-bit greyscale PNG
        image = image.point(lambda v: v / 256).convert("L")
    return image.convert("RGB")


def prepare_image(content: bytes) -> bytes:
    """The upload as a share-sized JPEG without metadata; ImageRefused when it is not one we take."""
    if not content:
        raise ImageRefused("image_empty")
    if len(content) > MAX_BYTES:
        raise ImageRefused("image_too_large")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content), formats=FORMATS)
            if image.width * image.height > MAX_PIXELS:
                raise ImageRefused("image_too_many_pixels")
            image.load()  # decodes the first frame: a truncated or forged file fails here
            image = ImageOps.exif_transpose(image)  # phone photos stand the right way up
            image = _flatten(image)
    except ImageRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused("image_too_many_pixels") from None
    except (OSError, SyntaxError, ValueError, EOFError, TypeError):
        raise ImageRefused("image_type") from None
    image.thumbnail((SHARE_WIDTH, SHARE_MAX_HEIGHT), Image.Resampling.LANCZOS)
    # The encoder would copy a comment, XMP or profile kept in `info`: nothing of the upload goes out.
    image.info = {}
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return out.getvalue()
