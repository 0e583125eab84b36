"""Sealing personal fields: opens with its key, never without it or under another key id; the sealed
fields of interaction events."""

from __future__ import annotations

from vaxel.events.v1 import events_pb2
from vaxel.types.v1 import types_pb2
from vaxel_common.events import new_event
from vaxel_common.personal_events import (
    open_event,
    seal_created,
    seal_survey_answered,
    seal_wrapped_up,
    sealed_key_id,
)
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


class TestPersonalEvents:
    def test_a_created_event_is_sealed_and_opens_again(self) -> None:
        key = new_data_key()
        created = events_pb2.InteractionCreated(
            queue_id="q1", customer_ref="cust-Zebrafink", contact=CONTACT, subject="Kvastfening"
        )
        seal_created(created, "k1", key)
        event = new_event(created, tenant_id="t1", producer="routing", interaction_id="i1")
        wire = event.SerializeToString()
        assert not [w for w in (b"Zebrafink", b"Kvastfening", b"46701234567") if w in wire]
        assert (sealed_key_id(event), event.interaction_created.customer_pseudonym) == ("k1", "k1")
        open_event(event, {"k1": key}.get)
        opened = event.interaction_created
        assert (opened.customer_ref, opened.contact, opened.subject) == (
            "cust-Zebrafink",
            CONTACT,
            "Kvastfening",
        )
        assert sealed_key_id(event) == ""  # nothing sealed any more

    def test_without_a_customer_there_is_no_pseudonym(self) -> None:
        created = events_pb2.InteractionCreated(contact=CONTACT)
        seal_created(created, "k2", new_data_key())
        assert created.customer_pseudonym == ""

    def test_notes_whose_key_is_destroyed_open_empty(self) -> None:
        wrapped = events_pb2.InteractionWrappedUp(disposition="resolved", notes="Kvastfening")
        seal_wrapped_up(wrapped, "k1", new_data_key())
        event = new_event(wrapped, tenant_id="t1", producer="routing", interaction_id="i1")
        destroyed: dict[str, bytes] = {}
        open_event(event, destroyed.get)
        assert (event.interaction_wrapped_up.disposition, event.interaction_wrapped_up.notes) == (
            "resolved",
            "",
        )

    def test_a_survey_comment_is_sealed_opens_again_and_not_once_its_key_is_destroyed(self) -> None:
        key = new_data_key()
        answered = events_pb2.SurveyAnswered(score=2, comment="Sjöbjörnsvals")
        seal_survey_answered(answered, "k1", key)
        event = new_event(answered, tenant_id="t1", producer="interaction-log", interaction_id="i1")
        stored = event.SerializeToString()
        assert "Sjöbjörnsvals".encode() not in stored
        assert sealed_key_id(event) == "k1"
        again = events_pb2.Event.FromString(stored)
        open_event(again, {"k1": key}.get)
        assert (again.survey_answered.score, again.survey_answered.comment) == (2, "Sjöbjörnsvals")
        assert not again.survey_answered.HasField("personal")
        gone = events_pb2.Event.FromString(stored)
        destroyed: dict[str, bytes] = {}
        open_event(gone, destroyed.get)
        assert (gone.survey_answered.score, gone.survey_answered.comment) == (2, "")
        empty = events_pb2.SurveyAnswered(score=5)
        seal_survey_answered(empty, "k1", key)
        assert not empty.HasField("personal")  # nothing to seal
