"""The conversation service: transcripts, the customer's chat and the agent's side of it."""

SERVICE_NAME = "conversation"
