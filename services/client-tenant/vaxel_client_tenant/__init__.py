"""Client-tenant service: client companies, their queues and configuration, and the tenant API."""

SERVICE_NAME = "client-tenant"
