"""The seller's logo printed on quotes and invoices: checked with Pillow, re-encoded as a PNG
under a random name in the upload folder (outside static), and found again for the PDFs."""
import io
import secrets

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from werkzeug.datastructures import FileStorage

from ..storage import StorageKeyError, storage
from .card_edit import human_size
from .setting_types import SettingError
from .settings import get_setting

LOGO_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}
LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_PIXELS = 25_000_000  # refuse decompression bombs before decoding them
LOGO_BOX = (1200, 400)  # plenty for a 60 mm wide logo at print resolution


def read_logo(upload: FileStorage) -> Image.Image:
    """The uploaded logo as a decoded image, at most LOGO_BOX; SettingError if it is not one."""
    data = upload.stream.read(LOGO_MAX_BYTES + 1)
    if not data:
        raise SettingError(_("The logo file is empty."))
    if len(data) > LOGO_MAX_BYTES:
        raise SettingError(_("The logo is larger than %(size)s.", size=human_size(LOGO_MAX_BYTES)))
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in LOGO_FORMATS:
                raise SettingError(_("The logo must be a PNG, JPEG, GIF or WebP image."))
            if probe.width * probe.height > LOGO_MAX_PIXELS:
                raise SettingError(_("The logo has too many pixels."))
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image = ImageOps.exif_transpose(image)
            image.thumbnail(LOGO_BOX)
            has_alpha = image.mode in ("RGBA", "LA") or "transparency" in image.info
            return image.convert("RGBA" if has_alpha else "RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError) as exc:
        if isinstance(exc, SettingError):
            raise
        raise SettingError(_("The logo is not a readable image.")) from None


def write_logo(image: Image.Image) -> str:
    """Save a logo read by read_logo; its path under the upload folder."""
    relative = f"settings/logo-{secrets.token_hex(16)}.png"
    encoded = io.BytesIO()
    # Re-encoding keeps the pixels only: no metadata, no payload hidden after the image data.
    image.save(encoded, "PNG", optimize=True)
    storage().save(relative, encoded.getvalue())
    return relative


def logo_file() -> str | None:
    """The stored logo's key, if there is one and its file is still stored."""
    relative = get_setting("company_logo")
    if not relative:
        return None
    try:
        return relative if storage().exists(relative) else None
    except StorageKeyError:
        return None
