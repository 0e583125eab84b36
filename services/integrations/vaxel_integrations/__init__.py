"""Integrations service: a tenant's webhooks (signed, retried deliveries) and its own event stream."""

SERVICE_NAME = "integrations"
