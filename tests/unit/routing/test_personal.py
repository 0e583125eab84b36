"""Routing's data keys and the sealed fields of its log: durable keys, erasure destroys them."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from vaxel.routing.v1 import inputs_pb2, routing_pb2
from vaxel.types.v1 import types_pb2
from vaxel_common.db import connect
from vaxel_common.errors import InvalidArgument
from vaxel_routing.adapters.data_keys import DataKeys
from vaxel_routing.adapters.personal import PersonalData

WORDS = (b"Zebrafink", b"Kvastfening", b"cust-Ornitolog", b"4670999")


def _submit(iid: str, customer_ref: str) -> inputs_pb2.RoutingInput:
    return inputs_pb2.RoutingInput(
        submit=inputs_pb2.SubmitInput(
            interaction_id=iid,
            customer_ref=customer_ref,
            contact=types_pb2.Contact(phone_number="+464670999"),
            subject="Zebrafink",
        )
    )


def _wrap_up(iid: str) -> inputs_pb2.AgentInput:
    request = routing_pb2.ConnectRequest(wrap_up=routing_pb2.WrapUp(interaction_id=iid, notes="Kvastfening"))
    return inputs_pb2.AgentInput(agent_id="anna", request=request)


def _reopened(personal: PersonalData, record: inputs_pb2.RoutingInput) -> inputs_pb2.RoutingInput:
    """The record as the log holds it, read back and opened."""
    stored = record.SerializeToString()
    assert not [w for w in WORDS if w in stored]
    again = inputs_pb2.RoutingInput.FromString(stored)
    personal.open(again)
    return again


class TestPersonalData:
    def test_sealed_on_the_log_open_in_memory(self, tmp_path: Path) -> None:
        personal = PersonalData(DataKeys(connect(f"sqlite:///{tmp_path / 'keys.sqlite3'}")))
        record = _submit("i1", "cust-Ornitolog")
        personal.seal_submit("t1", record.submit)
        opened = _reopened(personal, record).submit
        assert (opened.customer_ref, opened.contact.phone_number, opened.subject) == (
            "cust-Ornitolog",
            "+464670999",
            "Zebrafink",
        )
        desk = _wrap_up("i1")
        personal.seal_notes("t1", "cust-Ornitolog", "i1", desk)
        assert (
            _reopened(personal, inputs_pb2.RoutingInput(agent=desk)).agent.request.wrap_up.notes
            == "Kvastfening"
        )

    def test_keys_survive_a_restart_and_the_file_is_private(self, tmp_path: Path) -> None:
        path = tmp_path / "keys.sqlite3"
        record = _submit("i1", "cust-Ornitolog")
        PersonalData(DataKeys(connect(f"sqlite:///{path}"))).seal_submit("t1", record.submit)
        restarted = PersonalData(DataKeys(connect(f"sqlite:///{path}")))  # as after kill -9
        assert _reopened(restarted, record).submit.subject == "Zebrafink"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600

    def test_one_key_per_customer_one_per_interaction_without(self, tmp_path: Path) -> None:
        keys = DataKeys(connect("sqlite://:memory:"))
        assert keys.for_owner("t1", "c1", "i1") == keys.for_owner("t1", "c1", "i2")
        assert keys.for_owner("t1", "c1", "i1")[0] != keys.for_owner("t2", "c1", "i1")[0]
        assert keys.for_owner("t1", "", "i1")[0] != keys.for_owner("t1", "", "i2")[0]

    def test_erasure_destroys_the_customers_keys_only(self, tmp_path: Path) -> None:
        path = tmp_path / "keys.sqlite3"
        personal = PersonalData(DataKeys(connect(f"sqlite:///{path}")))
        erased, kept = _submit("i1", "cust-Ornitolog"), _submit("i2", "cust-other")
        personal.seal_submit("t1", erased.submit)
        personal.seal_submit("t1", kept.submit)
        erasure = inputs_pb2.RoutingInput(erase=personal.erasure("t1", "cust-Ornitolog"))
        assert _reopened(personal, erasure) is not None
        assert personal.open(
            inputs_pb2.RoutingInput.FromString(erasure.SerializeToString())
        ).customer_ref == ("cust-Ornitolog")
        assert personal.destroy_customer("t1", "cust-Ornitolog") == 1
        assert personal.destroy_customer("t1", "cust-Ornitolog") == 0
        for reader in (personal, PersonalData(DataKeys(connect(f"sqlite:///{path}")))):
            gone = _reopened(reader, erased).submit
            assert (gone.customer_ref, gone.subject, gone.HasField("contact")) == ("", "", False)
            assert (
                reader.open(inputs_pb2.RoutingInput.FromString(erasure.SerializeToString())).customer_ref
                == ""
            )
            assert _reopened(reader, kept).submit.customer_ref == "cust-other"
        assert not [w for w in WORDS if w in path.read_bytes()]

    def test_a_customers_key_is_the_one_that_seals_their_records_and_new_after_erasure(
        self, tmp_path: Path
    ) -> None:
        personal = PersonalData(DataKeys(connect(f"sqlite:///{tmp_path / 'keys.sqlite3'}")))
        submit = _submit("i1", "cust-Ornitolog")
        personal.seal_submit("t1", submit.submit)
        key_id, key = personal.customer_key("t1", "cust-Ornitolog")
        assert key_id == submit.submit.personal.key_id
        assert personal.data_keys([key_id]) == {key_id: key}
        assert personal.customer_key("t2", "cust-Ornitolog")[0] != key_id  # another tenant's customer
        for tenant_id, customer_ref, field in (("", "c", "tenant_id"), ("t1", "", "customer_ref")):
            with pytest.raises(InvalidArgument, match=field):
                personal.customer_key(tenant_id, customer_ref)
        personal.destroy_customer("t1", "cust-Ornitolog")
        assert personal.customer_key("t1", "cust-Ornitolog")[0] != key_id
        assert personal.data_keys([key_id]) == {}
