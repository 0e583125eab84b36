"""The rules a message must meet before it joins a transcript, and how its id is chosen.

Text is UTF-8 of at most :data:`MAX_TEXT_BYTES` bytes, without control characters other than tab and
line breaks; empty only when attachments come with it. At most :data:`MAX_ATTACHMENTS` attachments,
each with a name, a media type ``type/subtype``, a size, a SHA-256 in hex and a storage reference.
The id of a message with an idempotency key is derived from it (and from the interaction and the
author), so a resend is the same message; without one it is new.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence

from vaxel_common.errors import InvalidArgument
from vaxel_common.ids import deterministic_id
from vaxel_conversation.domain.model import Attachment, AuthorKind, Draft

__all__ = [
    "MAX_ATTACHMENTS",
    "MAX_ATTACHMENT_BYTES",
    "MAX_KEY_CHARS",
    "MAX_TEXT_BYTES",
    "check_id",
    "check_text",
    "draft",
    "message_id_for",
]

MAX_TEXT_BYTES = 8 * 1024
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
MAX_KEY_CHARS = 128
_MAX_NAME_CHARS = 255
_MAX_REF_CHARS = 1024
_MAX_ID_CHARS = 128
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_ALLOWED_CONTROLS = frozenset("\t\n\r")


def check_id(field: str, value: str, *, required: bool = True) -> str:
    """An id field: present (when required), at most 128 characters, printable."""
    if not value:
        if required:
            raise InvalidArgument(field, "required")
        return value
    if len(value) > _MAX_ID_CHARS:
        raise InvalidArgument(field, f"at most {_MAX_ID_CHARS} characters")
    if not value.isprintable():
        raise InvalidArgument(field, "must be printable")
    return value


def check_text(field: str, text: str, *, required: bool) -> str:
    """Message text: at most 8 KiB of UTF-8, no control characters but tab and line breaks."""
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > MAX_TEXT_BYTES:
        raise InvalidArgument(field, f"{size} bytes of UTF-8; at most {MAX_TEXT_BYTES}")
    for offset, char in enumerate(text):
        if "\ud800" <= char <= "\udfff":
            raise InvalidArgument(field, f"not valid UTF-8 (a lone surrogate at character {offset})")
        if (ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0) and char not in _ALLOWED_CONTROLS:
            raise InvalidArgument(field, f"control character U+{ord(char):04X} at character {offset}")
    if required and not text.strip():
        raise InvalidArgument(field, "required (a message has text, attachments or both)")
    return text


def _attachment(field: str, item: Attachment) -> Attachment:
    if not item.name.strip() or len(item.name) > _MAX_NAME_CHARS or not item.name.isprintable():
        raise InvalidArgument(f"{field}.name", f"1 to {_MAX_NAME_CHARS} printable characters")
    if not _MEDIA_TYPE.match(item.media_type):
        raise InvalidArgument(f"{field}.media_type", "a media type type/subtype in lowercase, e.g. image/png")
    if not 0 < item.size_bytes <= MAX_ATTACHMENT_BYTES:
        raise InvalidArgument(f"{field}.size_bytes", f"1 to {MAX_ATTACHMENT_BYTES} bytes")
    if not _SHA256.match(item.sha256):
        raise InvalidArgument(f"{field}.sha256", "64 lowercase hexadecimal digits")
    if not item.storage_ref or len(item.storage_ref) > _MAX_REF_CHARS or not item.storage_ref.isprintable():
        raise InvalidArgument(f"{field}.storage_ref", f"1 to {_MAX_REF_CHARS} printable characters")
    return item


def draft(
    tenant_id: str,
    interaction_id: str,
    author_kind: AuthorKind,
    author_id: str,
    text: str,
    attachments: Sequence[Attachment] = (),
    idempotency_key: str = "",
    *,
    field_prefix: str = "",
) -> Draft:
    """A checked message; InvalidArgument names the offending field (``field_prefix`` + name)."""
    check_id(f"{field_prefix}interaction_id", interaction_id)
    if len(attachments) > MAX_ATTACHMENTS:
        raise InvalidArgument(f"{field_prefix}attachments", f"at most {MAX_ATTACHMENTS}")
    checked = tuple(_attachment(f"{field_prefix}attachments[{i}]", a) for i, a in enumerate(attachments))
    check_text(f"{field_prefix}text", text, required=not checked)
    if len(idempotency_key) > MAX_KEY_CHARS or (idempotency_key and not idempotency_key.isprintable()):
        raise InvalidArgument(
            f"{field_prefix}idempotency_key", f"at most {MAX_KEY_CHARS} printable characters"
        )
    return Draft(tenant_id, interaction_id, author_kind, author_id, text, checked, idempotency_key)


def message_id_for(message: Draft) -> str:
    """The id the message gets: derived from its idempotency key (the same key, the same message), else new."""
    if not message.idempotency_key:
        return str(uuid.uuid4())
    return deterministic_id(
        "conversation.message",
        message.tenant_id,
        message.interaction_id,
        message.author_kind.value,
        message.author_id,
        message.idempotency_key,
    )
