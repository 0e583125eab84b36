"""Records on the messages topic that cannot be applied are dead-lettered with the reason; the
transcripts go on: garbage, a message without an author kind, one from another producer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import grpc
import pytest

from tests.fixtures.conversation import chat_tenant, handled_chat, post, transcript
from tests.fixtures.platform import eventually, topic_records
from vaxel.conversation.v1 import conversation_pb2 as pb
from vaxel.events.v1 import events_pb2
from vaxel_common.events import encode_event, new_event
from vaxel_common.kafka import sync_producer
from vaxel_common.supervisor import Platform
from vaxel_common.topics import CONVERSATION_MESSAGES, DEAD_LETTER

pytestmark = pytest.mark.integration


def _letters(platform: Platform, offsets: set[tuple[int, int]]) -> list[events_pb2.DeadLetter]:
    found = []
    for record in topic_records(platform, DEAD_LETTER.name):
        letter = events_pb2.DeadLetter()
        letter.ParseFromString(record.value)
        if letter.source_topic == CONVERSATION_MESSAGES.name and (
            (letter.source_partition, letter.source_offset) in offsets
        ):
            found.append(letter)
    assert len(found) == len(offsets), found
    return found


def test_poison_records_are_dead_lettered_and_messages_go_on(
    platform: Platform, channels: dict[str, grpc.Channel]
) -> None:
    tenant = chat_tenant(platform, channels)
    handled = handled_chat(platform, channels, tenant, "Hej")
    try:
        interaction = handled.interaction_id
        no_kind = pb.Message(
            message_id=str(uuid.uuid4()), interaction_id=interaction, tenant_id=tenant.tenant_id, text="?"
        )
        no_kind.sent_at.FromDatetime(datetime.now(UTC))
        bad = new_event(
            events_pb2.MessagePosted(message=no_kind),
            tenant_id=tenant.tenant_id,
            producer="conversation",
            interaction_id=interaction,
            event_id=no_kind.message_id,
        )
        forged_message = pb.Message(
            message_id=str(uuid.uuid4()),
            interaction_id=interaction,
            tenant_id=tenant.tenant_id,
            author_kind=pb.AUTHOR_KIND_AGENT,
            author_id="mallory",
            text="forged",
        )
        forged_message.sent_at.FromDatetime(datetime.now(UTC))
        forged = new_event(
            events_pb2.MessagePosted(message=forged_message),
            tenant_id=tenant.tenant_id,
            producer="routing",
            interaction_id=interaction,
            event_id=forged_message.message_id,
        )
        producer = sync_producer(platform.kafka_bootstrap, "test")
        key = interaction.encode()
        sent = [
            producer.send(CONVERSATION_MESSAGES.name, value, key=key).get(timeout=10)
            for value in (b"\xff\x00 not an event", encode_event(bad), encode_event(forged))
        ]
        producer.close()
        letters = eventually(lambda: _letters(platform, {(m.partition, m.offset) for m in sent}), timeout=60)
        assert {letter.consumer for letter in letters} == {"conversation"}
        # The service goes on: a message after them is taken, and none of the three is in the transcript.
        after = post(channels, platform, handled, "Efter giftet")
        texts = [m.text for m in transcript(channels, platform, tenant.tenant_id, interaction)]
        assert texts == ["Hej", "Efter giftet"]
        assert after.sequence == 2
    finally:
        handled.chat.close()
        handled.desk.close()
