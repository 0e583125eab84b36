"""kill -9 of the conversation service right after it acknowledged messages: after the restart each
is in the transcript, once; resending one with its idempotency key adds nothing."""

from __future__ import annotations

import signal

import grpc
import pytest

from tests.fixtures.conversation import ChatStream, chat_tenant, handled_chat, post, transcript
from tests.fixtures.platform import eventually
from vaxel_common.supervisor import Platform, wait_serving

pytestmark = pytest.mark.integration


def test_acknowledged_messages_survive_kill_9_once(
    platform: Platform, channels: dict[str, grpc.Channel]
) -> None:
    tenant = chat_tenant(platform, channels)
    handled = handled_chat(platform, channels, tenant, "Före kraschen")
    try:
        acked = [handled.chat.say(f"meddelande {i}", key=f"m{i}") for i in range(5)]
        assert all(reply.code == 0 for reply in acked), [r.message for r in acked]
        answer = post(channels, platform, handled, "Agentens svar", idempotency_key="svar")
        service = platform.processes["conversation"]
        assert service.process is not None
        service.process.send_signal(signal.SIGKILL)  # at once after the last acknowledgement
        service.process.wait(timeout=10)
        handled.chat.close()
        platform.start_service(service.spec)
        wait_serving(service.grpc_target, 90, service.process)

        def rebuilt() -> list[str]:
            texts = [m.text for m in transcript(channels, platform, tenant.tenant_id, handled.interaction_id)]
            assert len(texts) == 7, texts
            return texts

        texts = eventually(rebuilt, timeout=60)
        assert texts == ["Före kraschen", *(f"meddelande {i}" for i in range(5)), "Agentens svar"]
        # The customer resends what they are not sure arrived, the agent too: nothing is added.
        back = ChatStream(
            channels["conversation"],
            tenant.chat_key,
            handled.interaction_id,
            handled.started.chat_token,
            last_message_id=acked[-1].message_id,
        )
        try:
            assert back.reply(back.join_id).code == 0
            assert back.message().message_id == answer.message_id
            resent = back.say("meddelande 4", key="m4")
            assert resent.message_id == acked[4].message_id
        finally:
            back.close()
        again = post(channels, platform, handled, "Agentens svar", idempotency_key="svar")
        assert again.message_id == answer.message_id
        ids = [m.message_id for m in transcript(channels, platform, tenant.tenant_id, handled.interaction_id)]
        assert len(ids) == len(set(ids)) == 7
        assert [
            m.sequence for m in transcript(channels, platform, tenant.tenant_id, handled.interaction_id)
        ] == list(range(1, 8))
    finally:
        handled.desk.close()
