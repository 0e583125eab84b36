"""Settings of the conversation service (environment variables ``VAXEL_CONVERSATION_*``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from vaxel_common.settings import ServiceSettings
from vaxel_conversation.domain.transcript import MAX_MESSAGES


class ConversationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="VAXEL_CONVERSATION_", extra="ignore", frozen=True)

    # Routing's gRPC address (host:port): StartChat submits the chat, the wait is asked of it, and a
    # customer who leaves while waiting abandons there. Called with the ops key (ADMIN_API_KEY).
    routing_target: str = ""
    routing_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # How often a waiting customer's position and estimated wait are asked of routing.
    wait_poll_seconds: float = Field(default=2.0, gt=0, le=60)
    # How long an agent's post or read waits for routing's events to show the agent holds the
    # interaction (they cross Kafka a moment after the accept) before PERMISSION_DENIED.
    holder_wait_seconds: float = Field(default=5.0, ge=0, le=60)
    max_messages_per_transcript: int = Field(default=MAX_MESSAGES, ge=10, le=100_000)
