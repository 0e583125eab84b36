"""SLA service: real-time service levels per client, breach alerts and Erlang staffing."""

SERVICE_NAME = "sla"
