"""Sealing personal fields: opens with its key, never without it or under another key id."""

from __future__ import annotations

from vaxel.types.v1 import types_pb2
from vaxel_common.sealing import KEY_BYTES, new_data_key, seal, unseal

CONTACT = types_pb2.Contact(phone_number="+46701234567")


class TestSeal:
    def test_it_opens_with_its_key(self) -> None:
        key = new_data_key()
        sealed = seal(CONTACT, "k1", key)
        assert len(key) == KEY_BYTES
        assert unseal(sealed, types_pb2.Contact, {"k1": key}.get) == CONTACT

    def test_the_clear_text_is_nowhere_in_the_sealed_bytes(self) -> None:
        sealed = seal(CONTACT, "k1", new_data_key()).SerializeToString()
        assert b"46701234567" not in sealed

    def test_every_sealing_has_its_own_nonce(self) -> None:
        key = new_data_key()
        assert seal(CONTACT, "k1", key).nonce != seal(CONTACT, "k1", key).nonce

    def test_a_destroyed_key_opens_nothing(self) -> None:
        sealed = seal(CONTACT, "k1", new_data_key())
        destroyed: dict[str, bytes] = {}
        assert unseal(sealed, types_pb2.Contact, destroyed.get) is None

    def test_another_key_or_key_id_or_a_changed_byte_opens_nothing(self) -> None:
        key = new_data_key()
        sealed = seal(CONTACT, "k1", key)
        assert unseal(sealed, types_pb2.Contact, lambda _: new_data_key()) is None
        moved = types_pb2.Sealed(key_id="k2", nonce=sealed.nonce, ciphertext=sealed.ciphertext)
        assert unseal(moved, types_pb2.Contact, lambda _: key) is None
        flipped = bytes([sealed.ciphertext[0] ^ 1]) + sealed.ciphertext[1:]
        tampered = types_pb2.Sealed(key_id="k1", nonce=sealed.nonce, ciphertext=flipped)
        assert unseal(tampered, types_pb2.Contact, lambda _: key) is None
        assert unseal(types_pb2.Sealed(), types_pb2.Contact, lambda _: key) is None
