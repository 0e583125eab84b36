"""The command groups of ``vaxel``: one module each (tenant, queues, sla, events, interactions, staffing)."""
