"""``vaxel webhooks`` against the session platform: add, list, deliveries, replay, stream, delete."""

from __future__ import annotations

import json

import grpc
from typer.testing import CliRunner, Result

from tests.fixtures.platform import eventually
from tests.fixtures.webhooks import Receiver, publish
from tests.integration.integrations.test_webhooks import created, path, present, tenant, wait_known
from vaxel_cli.app import app
from vaxel_common.supervisor import Platform

Channels = dict[str, grpc.Channel]


def vaxel(platform: Platform, key: str, *args: str) -> Result:
    env = {
        "VAXEL_CLIENT_TENANT_TARGET": platform.processes["client-tenant"].grpc_target,
        "VAXEL_INTEGRATIONS_TARGET": platform.processes["integrations"].grpc_target,
        "VAXEL_API_KEY": key,
        "VAXEL_CLI_CONFIG": None,
    }
    return CliRunner().invoke(app, list(args), env=env)


def test_a_tenant_manages_its_webhooks_from_the_command_line(
    platform: Platform, channels: Channels, receiver: Receiver
) -> None:
    tenant_id, metadata = tenant(platform, channels)
    key = metadata[0][1].removeprefix("Bearer ")
    wait_known(channels, metadata)
    where = path()
    added = vaxel(platform, key, "webhooks", "add", receiver.url(where), "--json")
    assert added.exit_code == 0, added.output
    reply = json.loads(added.stdout)
    endpoint_id, receiver.secrets[where] = reply["endpoint"]["endpoint_id"], reply["secret"]
    listed = vaxel(platform, key, "webhooks", "list", "--json")
    assert [json.loads(line)["endpoint_id"] for line in listed.stdout.splitlines()] == [endpoint_id]
    assert "secret" not in listed.stdout

    events = created(tenant_id, 2)
    publish(platform, events)
    eventually(lambda: present(len(receiver.at(where, ok_only=True)) == 2), 60)

    def delivered() -> list[dict[str, object]]:
        shown = vaxel(platform, key, "webhooks", "deliveries", "--state", "delivered", "--json")
        rows = [json.loads(line) for line in shown.stdout.splitlines()]
        assert len(rows) == 2
        return rows

    rows = eventually(delivered, 30)
    assert {r["event_id"] for r in rows} == {e.event_id for e in events}
    replayed = vaxel(platform, key, "webhooks", "replay", endpoint_id, "--from", "1h")
    assert replayed.exit_code == 0, replayed.output
    assert "2 deliveries queued again" in replayed.stdout
    eventually(lambda: present(len(receiver.at(where, ok_only=True)) == 4), 60)

    streamed = vaxel(platform, key, "webhooks", "stream", "--earliest", "--limit", "2")
    assert streamed.exit_code == 0, streamed.output
    lines = [json.loads(line) for line in streamed.stdout.splitlines()]
    assert {line["event"]["event_id"] for line in lines} == {e.event_id for e in events}
    assert all(line["cursor"] for line in lines)

    bad = vaxel(platform, key, "webhooks", "add", "http://example.com/hook")
    assert bad.exit_code != 0
    assert "must be https" in bad.output
    deleted = vaxel(platform, key, "webhooks", "delete", endpoint_id)
    assert deleted.exit_code == 0, deleted.output
    assert vaxel(platform, key, "webhooks", "list", "--json").stdout.strip() == ""
