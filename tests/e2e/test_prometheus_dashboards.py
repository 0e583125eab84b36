"""The dashboards and alert rules against a real Prometheus.

Debian's Prometheus scrapes the session platform every second (the jobs and labels of
deploy/prometheus/prometheus.yml, the rules of deploy/prometheus/rules) while a short accelerated
simulation runs, one queue nobody staffs breaches its target and one undecodable record reaches a
consumed topic. Then every panel query of every dashboard must return data, and every metric a panel or
rule reads must exist: no panel points at a metric, label or value the services do not export.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import grpc
import pytest
import yaml
from google.protobuf.duration_pb2 import Duration
from vaxel_simulator.runner import Simulation
from vaxel_simulator.scenario import demo_world

from tests.deploy._support import DASHBOARD_UIDS, DEPLOY, dashboard, metric_names, panels, tool
from tests.fixtures.conversation import ChatStream, chat_tenant, start_chat
from tests.fixtures.platform import onboard_tenant
from tests.fixtures.webhooks import Receiver, register
from vaxel.routing.v1 import routing_pb2, routing_pb2_grpc
from vaxel.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from vaxel.types.v1 import types_pb2
from vaxel_common.broker import free_port
from vaxel_common.kafka import sync_producer
from vaxel_common.supervisor import Platform
from vaxel_common.topics import INTERACTION_EVENTS, TENANT_CONFIG
from vaxel_sla.domain.intervals import interval_start

pytestmark = pytest.mark.e2e

SCRAPE = "1s"
RULES = DEPLOY / "prometheus" / "rules" / "vaxel.rules.yml"
# Grafana's built-in interval variables, as Grafana would expand them for a short time range.
BUILTINS = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "5m"}
ZONE = "Europe/Stockholm"
ABANDONED = 5  # the SLA service's default alert_min_contacts
_VARIABLE = re.compile(r"\$\{?\w+\}?")
_LABEL_VALUES = re.compile(r"label_values\(\s*(?P<selector>.+?)\s*,\s*(?P<label>\w+)\s*\)")
T = TypeVar("T")


class QueryError(Exception):
    """Prometheus refused a query or failed to evaluate it."""


@dataclass(frozen=True)
class Prometheus:
    url: str
    log: Path

    def get(self, path: str, **params: str) -> Any:
        """The ``data`` of a Prometheus API reply; :class:`QueryError` with Prometheus' reason otherwise."""
        query = urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(f"{self.url}{path}?{query}", timeout=10) as reply:  # noqa: S310  (loopback)
                body = json.loads(reply.read())
        except urllib.error.HTTPError as exc:  # 400 bad query, 422 failed evaluation: the body says why
            body = json.loads(exc.read())
        if body["status"] != "success":
            raise QueryError(f"{body['errorType']}: {body['error']}")
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """An instant query's samples (a scalar as one sample without labels)."""
        data = self.get("/api/v1/query", query=expr)
        if data["resultType"] == "scalar":
            return [{"metric": {}, "value": data["result"]}]
        result: list[dict[str, Any]] = data["result"]
        return result

    def exists(self, metric: str) -> bool:
        return bool(self.query(f'count({{__name__="{metric}"}})'))


def _eventually(check: Callable[[], T], timeout: float = 15.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _config(platform: Platform) -> dict[str, Any]:
    """deploy/prometheus/prometheus.yml with the session platform's metrics endpoints as its targets."""
    config: dict[str, Any] = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text("utf-8"))
    config["global"] = {"scrape_interval": SCRAPE, "scrape_timeout": SCRAPE, "evaluation_interval": SCRAPE}
    config["rule_files"] = [str(RULES)]
    for job in config["scrape_configs"]:
        service = platform.processes[job["job_name"].removeprefix("vaxel-")]
        job["static_configs"] = [{"targets": [f"127.0.0.1:{service.metrics_port}"]}]
    return config


@pytest.fixture(scope="module")
def prometheus(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prometheus]:
    """Debian's Prometheus on a free loopback port, scraping the services every second."""
    home = tmp_path_factory.mktemp("prometheus")
    config = home / "prometheus.yml"
    config.write_text(yaml.safe_dump(_config(platform)), encoding="utf-8")
    port = free_port()
    log = home / "prometheus.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                tool("prometheus"),
                f"--config.file={config}",
                f"--storage.tsdb.path={home / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    server = Prometheus(f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, f"prometheus exited:\n{log.read_text()[-3000:]}"
            try:
                with urllib.request.urlopen(f"{server.url}/-/ready", timeout=1):  # noqa: S310  (loopback)
                    break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, f"prometheus not ready:\n{log.read_text()[-3000:]}"
                time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class Scenario:
    simulation: Simulation
    breached_tenant: str


class _UnstaffedQueue:
    """A tenant whose one voice queue no agent serves: its callers can only give up."""

    def __init__(self, platform: Platform, channels: dict[str, grpc.Channel]) -> None:
        self.tenant_id, self.key = onboard_tenant(
            platform,
            channels,
            f"Unstaffed {uuid.uuid4().hex[:6]}",
            "SE",
            ZONE,
            "sv-SE",
            ("config:read", "config:write", "interactions:write"),
        )
        voice = types_pb2.CHANNEL_VOICE
        self.queue_id = (
            tenant_pb2_grpc.TenantServiceStub(channels["client-tenant"])
            .CreateQueue(
                tenant_pb2.CreateQueueRequest(
                    name="Support",
                    channels=[voice],
                    language="sv-SE",
                    configuration=tenant_pb2.Queue(
                        time_zone=ZONE,
                        service_level_targets=[
                            tenant_pb2.ServiceLevelTarget(
                                channel=voice, target_percent=80, threshold=Duration(seconds=20)
                            )
                        ],
                        service_level_formula=tenant_pb2.SERVICE_LEVEL_FORMULA_ANSWERED_WITHIN_OVER_ANSWERED_AND_ABANDONED,
                        short_abandon_threshold=Duration(seconds=0),
                    ),
                ),
                metadata=self.key,
            )
            .queue.queue_id
        )
        self.routing = routing_pb2_grpc.RoutingServiceStub(channels["routing"])

    def callers_give_up(self, n: int) -> None:
        """``n`` calls in the current interval, every one abandoned: service level 0, a breach."""
        now = datetime.now(UTC)
        ends = interval_start(now, ZONE, 15) + timedelta(minutes=15)
        if ends - now < timedelta(seconds=45):  # keep the breach and the checks in one interval
            time.sleep((ends - now).total_seconds() + 1)
        for i in range(n):
            request = routing_pb2.SubmitInteractionRequest(
                queue_id=self.queue_id,
                channel=types_pb2.CHANNEL_VOICE,
                language="sv-SE",
                customer_ref=f"caller-{i}",
                idempotency_key=uuid.uuid4().hex,
            )
            reply = self.routing.SubmitInteraction(request, metadata=self.key, timeout=10)
            self.routing.AbandonInteraction(
                routing_pb2.AbandonInteractionRequest(interaction_id=reply.interaction_id),
                metadata=self.key,
                timeout=10,
            )


def _chat_with_a_webhook(platform: Platform, channels: dict[str, grpc.Channel], receiver: Receiver) -> None:
    """A chat tenant whose endpoint on the loopback receiver wants its events, and one chat: transcript
    messages for the conversation panels, webhook deliveries for the integrations panels."""
    tenant = chat_tenant(platform, channels)
    register(channels, receiver, tenant.routed.key, "/dashboards")
    started = start_chat(channels, tenant, "Hej, min faktura stämmer inte")
    stream = ChatStream(channels["conversation"], tenant.chat_key, started.interaction_id, started.chat_token)
    try:
        stream.say("Fakturan gäller mars")
    finally:
        stream.close()
    _eventually(lambda: _assert(receiver.at("/dashboards", ok_only=True), "a webhook delivery"), timeout=30)


@pytest.fixture(scope="module")
def scenario(
    platform: Platform, channels: dict[str, grpc.Channel], prometheus: Prometheus, receiver: Receiver
) -> Scenario:
    """While Prometheus scrapes: an undecodable record on the interaction events (dead letters in the
    interaction log and the SLA service), an unsigned one on the configuration topic (refused by its
    readers), a chat whose tenant has a webhook, a short simulation, then a queue in breach."""
    # Scraped once first, so that Prometheus holds every series at its starting value.
    _eventually(lambda: _all_scraped_after(prometheus, 0))
    producer = sync_producer(platform.kafka_bootstrap, "dashboards-test")
    producer.send(INTERACTION_EVENTS.name, b"\x00not an event", key=b"dashboards-test")
    producer.send(TENANT_CONFIG.name, b"\x00unsigned", key=b"dashboards-test")  # refused, not genuine
    producer.flush()
    producer.close()
    unstaffed = _UnstaffedQueue(platform, channels)
    _chat_with_a_webhook(platform, channels, receiver)

    targets = {name: proc.grpc_target for name, proc in platform.processes.items()}
    sim = Simulation(
        targets, platform.admin_key, demo_world(agents_per_site=3), speed=120, scale=1.5, seed=11
    )

    async def simulate() -> None:
        await sim.onboard()
        await sim.wait_until_routable()
        await sim.run(duration=15)

    asyncio.run(simulate())
    assert sim.tally.counts["wrapped_up"] > 0, sim.tally.counts
    unstaffed.callers_give_up(ABANDONED)
    selector = f'vaxel_sla_alerts_open{{tenant="{unstaffed.tenant_id}", kind="breach"}} == 1'
    _eventually(lambda: _assert(prometheus.query(selector), selector))
    done = time.time()
    _eventually(lambda: _all_scraped_after(prometheus, done))
    return Scenario(sim, unstaffed.tenant_id)


def _assert(result: Sequence[object], what: str) -> None:
    assert result, f"no data yet: {what}"


def _all_scraped_after(prometheus: Prometheus, moment: float) -> None:
    """Each of the services answered a scrape that began after ``moment``."""
    scrapes = prometheus.query('timestamp(up{job=~"vaxel-.+"} == 1)')
    jobs = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text("utf-8"))["scrape_configs"]
    assert len(scrapes) == len(jobs), scrapes
    assert min(float(s["value"][1]) for s in scrapes) > moment, scrapes


def _variables(prometheus: Prometheus, board: dict[str, Any], prefer: str) -> dict[str, str]:
    """Each template variable as an operator would set it: ``All`` where the variable offers it, else
    ``prefer`` when it is one of the values (the tenant in breach), else the first value."""
    values: dict[str, str] = dict(BUILTINS)
    for variable in board.get("templating", {}).get("list", []):
        query = _substitute(variable["query"], values)
        match = _LABEL_VALUES.fullmatch(query.strip())
        assert match is not None, (
            f"{board['uid']}: variable {variable['name']} is not label_values(): {query}"
        )
        series = prometheus.get("/api/v1/series", **{"match[]": match["selector"]})
        offered = sorted({s[match["label"]] for s in series if match["label"] in s})
        assert offered, f"{board['uid']}: variable {variable['name']} has no values ({query})"
        if variable.get("includeAll"):
            values[f"${variable['name']}"] = variable.get("allValue") or "|".join(map(re.escape, offered))
        else:
            values[f"${variable['name']}"] = prefer if prefer in offered else offered[0]
    return values


def _substitute(expr: str, values: dict[str, str]) -> str:
    for name in sorted(values, key=len, reverse=True):  # $queue_id before $queue
        expr = expr.replace(name, values[name])
    return expr


def _has_data(samples: list[dict[str, Any]]) -> bool:
    """At least one value a panel can draw (NaN, such as 0/0, draws nothing)."""
    return any(not math.isnan(float(sample["value"][1])) for sample in samples)


def test_every_dashboard_panel_has_data(prometheus: Prometheus, scenario: Scenario) -> None:
    def empty_panels() -> list[str]:
        empty = []
        for uid in sorted(DASHBOARD_UIDS):
            board = dashboard(uid)
            values = _variables(prometheus, board, prefer=scenario.breached_tenant)
            for panel in panels(board):
                for target in panel.get("targets", []):
                    expr = _substitute(target["expr"], values)
                    where = f"{uid} / {panel['title']} [{target['refId']}]: {expr}"
                    assert not _VARIABLE.search(expr), f"unknown variable in {where}"
                    try:
                        if not _has_data(prometheus.query(expr)):
                            empty.append(where)
                    except QueryError as exc:
                        empty.append(f"{where}\n    {exc}")
        return empty

    def none_empty() -> None:
        empty = empty_panels()
        assert not empty, "panels without data:\n" + "\n".join(empty)

    _eventually(none_empty, timeout=10)


def test_every_metric_a_panel_reads_exists(prometheus: Prometheus, scenario: Scenario) -> None:
    """Also where a query has a fallback (``or vector(0)``) that would hide a missing metric."""
    read: dict[str, set[str]] = {}
    for uid in sorted(DASHBOARD_UIDS):
        for panel in panels(dashboard(uid)):
            for target in panel.get("targets", []):
                for name in metric_names(target["expr"]):
                    read.setdefault(name, set()).add(f"{uid} / {panel['title']}")
    missing = sorted(
        f"{name} (read by {', '.join(sorted(where))})"
        for name, where in read.items()
        if not prometheus.exists(name)
    )
    assert not missing, "panels reading metrics Prometheus does not have:\n" + "\n".join(missing)


def test_alert_rules_evaluate_on_real_metrics(prometheus: Prometheus, scenario: Scenario) -> None:
    """Every rule evaluates without error and reads only metrics that exist; the breach and the dead
    letters of the scenario set off their alerts (the breach is pending: it must last 2 minutes)."""

    def evaluated() -> list[dict[str, Any]]:
        groups = prometheus.get("/api/v1/rules")["groups"]
        rules = [rule for group in groups for rule in group["rules"]]
        assert rules, "no rules loaded"
        for rule in rules:
            assert not rule["lastEvaluation"].startswith("0001-"), f"{rule['name']} not evaluated yet"
        return rules

    rules = _eventually(evaluated)
    failing = [f"{rule['name']}: {rule.get('lastError')}" for rule in rules if rule["health"] != "ok"]
    assert not failing, failing
    missing = sorted(
        f"{rule['name']}: {name}"
        for rule in rules
        for name in metric_names(rule["query"])
        if not prometheus.exists(name)
    )
    assert not missing, "rules reading metrics Prometheus does not have:\n" + "\n".join(missing)

    def alerts() -> None:
        active = {
            (a["labels"]["alertname"], a["labels"].get("tenant") or a["labels"].get("service"), a["state"])
            for a in prometheus.get("/api/v1/alerts")["alerts"]
        }
        assert ("VaxelSlaBreach", scenario.breached_tenant, "pending") in active, active
        assert ("VaxelDeadLetters", "sla", "firing") in active, active
        assert ("VaxelDeadLetters", "interaction-log", "firing") in active, active
        assert ("VaxelRecordsRefused", "routing", "firing") in active, active

    _eventually(alerts)


def test_the_unstaffed_queue_is_projected_to_miss_its_target(
    prometheus: Prometheus, scenario: Scenario
) -> None:
    """Nobody serves the breached queue: its current and next interval are projected at 0 (its callers
    keep coming at the last hour's rate and nobody answers them), below the target the panel draws."""
    tenant = scenario.breached_tenant

    def projected() -> None:
        for interval in ("current", "next"):
            selector = f'vaxel_sla_projected_service_level_ratio{{tenant="{tenant}", interval="{interval}"}}'
            samples = prometheus.query(selector)
            _assert(samples, selector)
            assert [float(s["value"][1]) for s in samples] == [0.0], (selector, samples)
        target = prometheus.query(f'vaxel_sla_service_level_target_ratio{{tenant="{tenant}"}}')
        assert [float(s["value"][1]) for s in target] == [0.8], target

    _eventually(projected)
