"""Images of text pages (PNG, JPEG): checked with Pillow, then read by OCR as page 1."""

from __future__ import annotations

import hashlib
import io
import warnings
from typing import TYPE_CHECKING

from ingest.loaders import ocr
from ingest.loaders.common import first_line_title, loader_error
from ingest.model import PageSpan

if TYPE_CHECKING:
    from PIL.Image import Image

_FORMATS = {"PNG", "JPEG"}
_RESAVE_TODO = "Open it in an image viewer, save it again as PNG or JPEG, and add it again"
_TOO_LARGE_TODO = "Scale it down (300 dpi is enough for OCR) and add it again"


def load_image(data: bytes, name: str) -> tuple[str, list[PageSpan], str]:
    """(text, [page 1], title) of a picture of a text page."""
    image = open_image(data, name)
    missing = ocr.missing_ocr(pdf=False)
    if missing:
        raise loader_error(
            name, f"an image can only be read by OCR, and OCR is not installed here ({missing})", ocr.INSTALL_TODO
        )
    text = ocr.ocr_image(image, name, hashlib.sha256(data).hexdigest())
    if not any(ch.isalnum() for ch in text):
        raise loader_error(
            name, "OCR found no text in the image", "Check that it shows a text page, upright and sharp (300 dpi)"
        )
    return text, [PageSpan(number=1, start=0, end=len(text))], first_line_title(text)


def open_image(data: bytes, name: str) -> Image:
    """The decoded image, upright (EXIF orientation), greyscale on white; an IngestError for bytes
    that are no PNG or JPEG, truncated data and decompression bombs."""
    from PIL import Image as PILImage
    from PIL import ImageOps, UnidentifiedImageError

    bomb = (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PILImage.DecompressionBombWarning)  # Pillow only warns up to 2x its limit
        try:
            opened = PILImage.open(io.BytesIO(data))
        except bomb:
            raise loader_error(
                name, "the image has more pixels than can be read safely (a decompression bomb?)", _TOO_LARGE_TODO
            ) from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
            raise loader_error(
                name, "the file is not a readable PNG or JPEG image (corrupt or another format)", _RESAVE_TODO
            ) from None
        if opened.format not in _FORMATS:
            raise loader_error(name, f"the file is a {opened.format or 'unknown'} image, not PNG or JPEG", _RESAVE_TODO)
        width, height = opened.size
        if width * height > ocr.MAX_PIXELS:
            raise loader_error(
                name,
                f"the image is too large ({width} x {height} pixels; the limit is {ocr.MAX_PIXELS:,} pixels)",
                _TOO_LARGE_TODO,
            )
        try:
            opened.load()
            upright = ImageOps.exif_transpose(opened)
        except (OSError, ValueError, SyntaxError, EOFError):
            raise loader_error(name, "the image is corrupt or truncated", _RESAVE_TODO) from None
    return _on_white(upright)


def _on_white(image: Image) -> Image:
    """Transparent parts as white paper (tesseract would see them black), in greyscale."""
    from PIL import Image as PILImage

    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        image = PILImage.alpha_composite(PILImage.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    return image.convert("L")
