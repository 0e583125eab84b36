"""The Växel simulator: client companies across time zones, their customers and the provider's agents,
driven through the public APIs (tenant API, routing, agent desks)."""
