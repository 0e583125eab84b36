"""Routing service: skills-based routing of every channel to agents, offers, callbacks, agent desk."""

SERVICE_NAME = "routing"
