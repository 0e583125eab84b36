"""The personal fields of routing's inputs log: sealed before a record is appended, opened before the
engine applies it.

Sealed (:class:`vaxel.types.v1.PersonalFields`, under the customer's data key, :mod:`.data_keys`): a
submission's customer reference, contact and subject, a wrap-up's notes, an erasure's customer
reference; the same fields of the events routing publishes (:mod:`vaxel_common.personal_events`) under
the same keys. Opened in memory only: the engine and the desks see the clear fields; a record whose key
was destroyed opens with them empty, so a replay after an erasure rebuilds no history of that customer
and shows nobody their data.
"""

from __future__ import annotations

from collections.abc import Sequence

from google.protobuf.message import Message

from vaxel.events.v1 import events_pb2
from vaxel.routing.v1 import inputs_pb2
from vaxel.types.v1 import types_pb2
from vaxel_common.errors import InvalidArgument
from vaxel_common.personal_events import seal_created, seal_wrapped_up
from vaxel_common.sealing import seal, unseal
from vaxel_routing.adapters.data_keys import DataKeys

__all__ = ["MAX_KEYS_PER_CALL", "PersonalData"]

MAX_KEYS_PER_CALL = 1000


class PersonalData:
    def __init__(self, keys: DataKeys) -> None:
        self._keys = keys

    def seal_submit(self, tenant_id: str, submit: inputs_pb2.SubmitInput) -> None:
        """Move the submission's personal fields into its sealed ``personal`` field."""
        fields = types_pb2.PersonalFields(
            customer_ref=submit.customer_ref, contact=submit.contact, subject=submit.subject
        )
        key_id, key = self._keys.for_owner(tenant_id, submit.customer_ref, submit.interaction_id)
        submit.personal.CopyFrom(seal(fields, key_id, key))
        submit.ClearField("customer_ref")
        submit.ClearField("contact")
        submit.ClearField("subject")

    def seal_notes(
        self, tenant_id: str, customer_ref: str, interaction_id: str, desk: inputs_pb2.AgentInput
    ) -> None:
        """Move a wrap-up's notes into the desk input's sealed ``personal`` field."""
        if desk.request.WhichOneof("action") != "wrap_up" or not desk.request.wrap_up.notes:
            return
        fields = types_pb2.PersonalFields(notes=desk.request.wrap_up.notes)
        key_id, key = self._keys.for_owner(tenant_id, customer_ref, interaction_id)
        desk.personal.CopyFrom(seal(fields, key_id, key))
        desk.request.wrap_up.ClearField("notes")

    def erasure(self, tenant_id: str, customer_ref: str) -> inputs_pb2.EraseInput:
        """The erasure record of a customer: the reference sealed with the key it destroys."""
        key_id, key = self._keys.for_owner(tenant_id, customer_ref, "")
        fields = types_pb2.PersonalFields(customer_ref=customer_ref)
        return inputs_pb2.EraseInput(tenant_id=tenant_id, customer_ref=seal(fields, key_id, key))

    def open(self, record: inputs_pb2.RoutingInput) -> types_pb2.PersonalFields:
        """Put the record's sealed fields back in clear (in memory; ``personal`` stays, its key seals the
        events of the record); the fields opened, empty when the key is gone or the record had none."""
        match record.WhichOneof("command"):
            case "submit" if record.submit.HasField("personal"):
                fields = self._open(record.submit.personal)
                record.submit.customer_ref = fields.customer_ref
                if fields.HasField("contact"):
                    record.submit.contact.CopyFrom(fields.contact)
                record.submit.subject = fields.subject
                return fields
            case "agent" if record.agent.HasField("personal"):
                fields = self._open(record.agent.personal)
                record.agent.request.wrap_up.notes = fields.notes
                return fields
            case "erase":
                return self._open(record.erase.customer_ref)
        return types_pb2.PersonalFields()

    def seal_event(
        self, tenant_id: str, interaction_id: str, payload: Message, record: inputs_pb2.RoutingInput | None
    ) -> None:
        """Seal the personal fields of an event payload routing publishes with the key of the
        interaction's customer (its own without a customer reference): a created event's with the
        customer's, a wrap-up's notes with the key of the desk record (``record``) that brought them."""
        if isinstance(payload, events_pb2.InteractionCreated):
            if payload.customer_ref or payload.subject or payload.HasField("contact"):
                seal_created(payload, *self._keys.for_owner(tenant_id, payload.customer_ref, interaction_id))
        elif isinstance(payload, events_pb2.InteractionWrappedUp) and payload.notes:
            key_id = record.agent.personal.key_id if record is not None and record.HasField("agent") else ""
            key = self._keys.key(key_id) if key_id else None
            if key is None:  # (notes from a record sealed before this version)
                key_id, key = self._keys.for_owner(tenant_id, "", interaction_id)
            seal_wrapped_up(payload, key_id, key)

    def data_keys(self, key_ids: Sequence[str]) -> dict[str, bytes]:
        """The keys of these ids that still exist (for the services that open routing's events)."""
        if len(key_ids) > MAX_KEYS_PER_CALL:
            raise InvalidArgument("key_ids", f"at most {MAX_KEYS_PER_CALL}")
        found = {key_id: self._keys.key(key_id) for key_id in dict.fromkeys(key_ids)}
        return {key_id: key for key_id, key in found.items() if key is not None}

    def customer_key(self, tenant_id: str, customer_ref: str) -> tuple[str, bytes]:
        """The customer's key, created if they have none (a customer of a record from before sealing,
        or one erased who is back), for another service to seal what it publishes about them."""
        if not tenant_id:
            raise InvalidArgument("tenant_id", "required")
        if not customer_ref:
            raise InvalidArgument("customer_ref", "required")
        return self._keys.for_owner(tenant_id, customer_ref, "")

    def destroy_customer(self, tenant_id: str, customer_ref: str) -> int:
        return self._keys.destroy_customer(tenant_id, customer_ref)

    def _open(self, sealed: types_pb2.Sealed) -> types_pb2.PersonalFields:
        opened = unseal(sealed, types_pb2.PersonalFields, self._keys.key)
        return opened if opened is not None else types_pb2.PersonalFields()
