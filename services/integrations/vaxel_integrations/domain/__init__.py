"""The integrations' pure rules: endpoint URLs, signatures, retry schedule, deliveries, cursors."""
