"""Personal data sealed with a data key that can be destroyed (crypto-shredding).

A record that must outlive its subject's erasure (a log kept forever, a topic's retention, a
broker's backup) carries its personal fields as a :class:`vaxel.types.v1.Sealed` message:
AES-256-GCM over a protobuf message's bytes, under a data key of the subject, with the key id as
associated data (a ciphertext moved under another key id fails). Destroying the key makes every
copy unreadable at once; :func:`unseal` then returns ``None`` and the reader shows the fields empty.

Where the keys live and who holds them is the owner's business (routing's key store); this module
only seals and unseals.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.protobuf.message import DecodeError, Message

from vaxel.types.v1 import types_pb2

__all__ = ["KEY_BYTES", "KeyLookup", "new_data_key", "seal", "unseal"]

KEY_BYTES = 32  # AES-256
_NONCE_BYTES = 12

M = TypeVar("M", bound=Message)

# A data key by id, or None when it was destroyed (or never existed here).
KeyLookup = Callable[[str], bytes | None]


def new_data_key() -> bytes:
    """A fresh random 256-bit data key."""
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def seal(message: Message, key_id: str, key: bytes) -> types_pb2.Sealed:
    """``message`` sealed under ``key`` (a new random nonce each time)."""
    nonce = os.urandom(_NONCE_BYTES)
    ciphertext = AESGCM(key).encrypt(nonce, message.SerializeToString(), key_id.encode())
    return types_pb2.Sealed(key_id=key_id, nonce=nonce, ciphertext=ciphertext)


def unseal(sealed: types_pb2.Sealed, into: type[M], keys: KeyLookup) -> M | None:
    """The sealed message, or None when its key is gone or the ciphertext does not open with it
    (tampered, or moved under another key id): the caller treats the fields as erased."""
    key = keys(sealed.key_id) if sealed.key_id else None
    if key is None:
        return None
    try:
        plain = AESGCM(key).decrypt(sealed.nonce, sealed.ciphertext, sealed.key_id.encode())
    except (InvalidTag, ValueError):
        return None
    message = into()
    try:
        message.ParseFromString(plain)
    except DecodeError:
        return None
    return message
