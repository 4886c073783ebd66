"""Files agents attach through the API: size from settings, type from the bytes (never the client's claim); and how they are sent back."""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse
from django.utils.translation import gettext as _

from contactcenter.core.errors import InvalidInput, NotFound
from tickets.models import TicketAttachment
from tickets.services import AttachmentUpload

# The same list as chat's attachments. No SVG or HTML: they run script.
ALLOWED_TYPES = {
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
    "application/zip",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/msword",
    "application/vnd.ms-excel",
}
#: Room for the multipart envelope and the other form fields around the file.
MULTIPART_OVERHEAD = 64 * 1024


class FileTooLarge(InvalidInput):
    code = "file_too_large"
    http_status = 413
    default_message = "The file is too large."


def max_bytes() -> int:
    return int(settings.CC_ATTACHMENT_MAX_BYTES)


def too_large() -> FileTooLarge:
    limit = max_bytes()
    return FileTooLarge(_("The file is too large (at most %(mb)d MB).") % {"mb": limit // (1024 * 1024)}, max_bytes=limit)


def checked_upload(upload: UploadedFile) -> AttachmentUpload:
    """The file's bytes with the type they really are, or InvalidInput (empty, too large, a type we refuse)."""
    import filetype

    size = upload.size or 0
    if size > max_bytes():
        raise too_large()
    if size == 0:
        raise InvalidInput(_("The file is empty."), fields={"file": [_("The file is empty.")]})
    content = upload.read()
    if len(content) > max_bytes():
        raise too_large()
    head = content[:8192]
    kind = filetype.guess(head)
    if kind is not None:
        content_type = str(kind.mime)
    elif _looks_like_text(head):
        content_type = "text/plain"
    else:
        content_type = "application/octet-stream"
    if content_type not in ALLOWED_TYPES:
        raise InvalidInput(
            _("This type of file is not accepted."), fields={"file": [_("This type of file is not accepted.")]}, content_type=content_type
        )
    return AttachmentUpload(filename=safe_filename(upload.name or "file"), content=content, content_type=content_type)


def _looks_like_text(head: bytes) -> bool:
    # The 8 KiB cut may split a character: up to 3 trailing bytes may be an incomplete one.
    if not any(_decodes(head[: len(head) - cut]) for cut in range(4)):
        return False
    # Markup is refused as text: a browser could be talked into rendering it.
    return b"\x00" not in head and not head.lstrip().startswith(b"<")


def safe_filename(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*').strip(" .")
    return name[:200] or "file"


def _decodes(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def file_response(attachment: TicketAttachment) -> FileResponse:
    """The stored file as a download, with the type it was stored with and headers that keep a browser from running it."""
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError):  # a row whose file is gone (or was never written) is not there
        raise NotFound() from None
    response = FileResponse(handle, content_type=attachment.content_type or "application/octet-stream")
    response["Content-Disposition"] = content_disposition(attachment.filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def content_disposition(filename: str) -> str:
    """``attachment`` with the name in RFC 6266/5987 form (UTF-8, percent-encoded) and an ASCII fallback for old clients."""
    name = safe_filename(filename)
    fallback = "".join(ch if ch.isascii() and ch.isprintable() and ch not in '"\\;%' else "_" for ch in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
