"""The personal fields of interaction events, sealed by their producer (routing; interaction-log for survey
answers, with the customer's key from routing) and opened by the consumers that need them in clear
(interaction-log), with the keys of :mod:`vaxel_common.sealing`.

Sealed: ``interaction.created``'s customer reference, contact and subject, ``interaction.wrapped_up``'s
notes and ``survey.answered``'s comment, into each payload's ``personal`` field. An event whose key was destroyed (the customer erased)
opens with those fields empty.
"""

from __future__ import annotations

from vaxel.events.v1 import events_pb2
from vaxel.types.v1 import types_pb2
from vaxel_common.sealing import KeyLookup, seal, unseal

__all__ = ["open_event", "seal_created", "seal_survey_answered", "seal_wrapped_up", "sealed_key_id"]


def seal_created(created: events_pb2.InteractionCreated, key_id: str, key: bytes) -> None:
    """Move the created event's personal fields into ``personal``; ``customer_pseudonym`` set."""
    fields = types_pb2.PersonalFields(
        customer_ref=created.customer_ref, contact=created.contact, subject=created.subject
    )
    created.customer_pseudonym = key_id if created.customer_ref else ""
    created.personal.CopyFrom(seal(fields, key_id, key))
    created.ClearField("customer_ref")
    created.ClearField("contact")
    created.ClearField("subject")


def seal_wrapped_up(wrapped: events_pb2.InteractionWrappedUp, key_id: str, key: bytes) -> None:
    """Move the wrap-up's notes into ``personal`` (nothing to do without notes)."""
    if not wrapped.notes:
        return
    wrapped.personal.CopyFrom(seal(types_pb2.PersonalFields(notes=wrapped.notes), key_id, key))
    wrapped.ClearField("notes")


def seal_survey_answered(answered: events_pb2.SurveyAnswered, key_id: str, key: bytes) -> None:
    """Move a survey answer's comment into ``personal`` (nothing to do without a comment)."""
    if not answered.comment:
        return
    answered.personal.CopyFrom(seal(types_pb2.PersonalFields(comment=answered.comment), key_id, key))
    answered.ClearField("comment")


def sealed_key_id(event: events_pb2.Event) -> str:
    """The key id that opens the event's sealed fields, "" when it has none."""
    match event.WhichOneof("payload"):
        case "interaction_created" if event.interaction_created.HasField("personal"):
            return event.interaction_created.personal.key_id
        case "interaction_wrapped_up" if event.interaction_wrapped_up.HasField("personal"):
            return event.interaction_wrapped_up.personal.key_id
        case "survey_answered" if event.survey_answered.HasField("personal"):
            return event.survey_answered.personal.key_id
    return ""


def open_event(event: events_pb2.Event, keys: KeyLookup) -> None:
    """Put the event's sealed fields back in clear (in memory), empty when the key is gone."""
    match event.WhichOneof("payload"):
        case "interaction_created" if event.interaction_created.HasField("personal"):
            created = event.interaction_created
            fields = unseal(created.personal, types_pb2.PersonalFields, keys) or types_pb2.PersonalFields()
            created.ClearField("personal")
            created.customer_ref = fields.customer_ref
            if fields.HasField("contact"):
                created.contact.CopyFrom(fields.contact)
            created.subject = fields.subject
        case "interaction_wrapped_up" if event.interaction_wrapped_up.HasField("personal"):
            wrapped = event.interaction_wrapped_up
            fields = unseal(wrapped.personal, types_pb2.PersonalFields, keys) or types_pb2.PersonalFields()
            wrapped.ClearField("personal")
            wrapped.notes = fields.notes
        case "survey_answered" if event.survey_answered.HasField("personal"):
            answered = event.survey_answered
            fields = unseal(answered.personal, types_pb2.PersonalFields, keys) or types_pb2.PersonalFields()
            answered.ClearField("personal")
            answered.comment = fields.comment
