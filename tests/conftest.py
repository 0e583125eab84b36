"""Test session: real parts started once (broker, PostgreSQL, the services); see tests/fixtures/."""

pytest_plugins = ["tests.fixtures.postgres", "tests.fixtures.platform", "tests.fixtures.webhooks"]
