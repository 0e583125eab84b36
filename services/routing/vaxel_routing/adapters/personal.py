"""The personal fields of routing's inputs log: sealed before a record is appended, opened before the
engine applies it.

Sealed (:class:`vaxel.routing.v1.PersonalFields`, under the customer's data key, :mod:`.data_keys`): a
submission's customer reference, contact and subject, a wrap-up's notes, an erasure's customer
reference. Opened in memory only: the engine, the events routing publishes and the desks see the clear
fields; a record whose key was destroyed opens with them empty, so a replay after an erasure rebuilds
no history of that customer and shows nobody their data.
"""

from __future__ import annotations

from vaxel.routing.v1 import inputs_pb2
from vaxel.types.v1 import types_pb2
from vaxel_common.sealing import seal, unseal
from vaxel_routing.adapters.data_keys import DataKeys

__all__ = ["PersonalData"]


class PersonalData:
    def __init__(self, keys: DataKeys) -> None:
        self._keys = keys

    def seal_submit(self, tenant_id: str, submit: inputs_pb2.SubmitInput) -> None:
        """Move the submission's personal fields into its sealed ``personal`` field."""
        fields = inputs_pb2.PersonalFields(
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
        fields = inputs_pb2.PersonalFields(notes=desk.request.wrap_up.notes)
        key_id, key = self._keys.for_owner(tenant_id, customer_ref, interaction_id)
        desk.personal.CopyFrom(seal(fields, key_id, key))
        desk.request.wrap_up.ClearField("notes")

    def erasure(self, tenant_id: str, customer_ref: str) -> inputs_pb2.EraseInput:
        """The erasure record of a customer: the reference sealed with the key it destroys."""
        key_id, key = self._keys.for_owner(tenant_id, customer_ref, "")
        fields = inputs_pb2.PersonalFields(customer_ref=customer_ref)
        return inputs_pb2.EraseInput(tenant_id=tenant_id, customer_ref=seal(fields, key_id, key))

    def open(self, record: inputs_pb2.RoutingInput) -> inputs_pb2.PersonalFields:
        """Put the record's sealed fields back in clear (in memory); the fields opened, empty when the
        key is gone or the record had none."""
        match record.WhichOneof("command"):
            case "submit" if record.submit.HasField("personal"):
                fields = self._open(record.submit.personal)
                record.submit.ClearField("personal")
                record.submit.customer_ref = fields.customer_ref
                if fields.HasField("contact"):
                    record.submit.contact.CopyFrom(fields.contact)
                record.submit.subject = fields.subject
                return fields
            case "agent" if record.agent.HasField("personal"):
                fields = self._open(record.agent.personal)
                record.agent.ClearField("personal")
                record.agent.request.wrap_up.notes = fields.notes
                return fields
            case "erase":
                return self._open(record.erase.customer_ref)
        return inputs_pb2.PersonalFields()

    def destroy_customer(self, tenant_id: str, customer_ref: str) -> int:
        return self._keys.destroy_customer(tenant_id, customer_ref)

    def _open(self, sealed: types_pb2.Sealed) -> inputs_pb2.PersonalFields:
        opened = unseal(sealed, inputs_pb2.PersonalFields, self._keys.key)
        return opened if opened is not None else inputs_pb2.PersonalFields()
