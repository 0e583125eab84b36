"""Interaction-log service: the durable, queryable record of every interaction."""

SERVICE_NAME = "interaction-log"
