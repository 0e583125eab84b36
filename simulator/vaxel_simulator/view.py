"""The live terminal view: per tenant and queue, who waits, the estimated wait, the service level of the
current interval against target, abandonment, agents by state and open alerts. Read from the SLA
API (ops key) and routing's metrics, once a second."""

from __future__ import annotations

import re
import urllib.request
from datetime import datetime
from zoneinfo import ZoneInfo

import grpc
from rich.console import Group
from rich.table import Table
from rich.text import Text

from vaxel.sla.v1 import sla_pb2, sla_pb2_grpc
from vaxel_simulator.runner import Simulation

__all__ = ["render"]

_CHANNEL = {1: "voice", 2: "chat", 3: "e-mail", 4: "social", 5: "callback"}


def _agents(metrics_url: str) -> dict[str, float]:
    try:
        with urllib.request.urlopen(metrics_url, timeout=2) as reply:  # noqa: S310  (loopback)
            text = reply.read().decode()
    except OSError:
        return {}
    counts: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("vaxel_routing_agents{"):
            match = re.search(r'presence="([^"]+)"', line)
            if match:
                counts[match.group(1)] = counts.get(match.group(1), 0) + float(line.rsplit(" ", 1)[1])
    return counts


def _level(value: float | None, target: float) -> Text:
    if value is None:
        return Text("-", style="dim")
    style = "green" if value >= target else "bold red"
    return Text(f"{value:.0%}", style=style)


async def render(sim: Simulation, routing_metrics_url: str) -> Group:
    sla = sla_pb2_grpc.SlaServiceStub(sim.channel("sla"))
    table = Table(title="Växel — live", expand=True)
    for column in (
        "tenant",
        "local time",
        "queue",
        "channel",
        "waiting",
        "est. wait",
        "longest wait",
        "SL now",
        "target",
        "answered",
        "abandoned (1 h)",
        "alerts",
    ):
        table.add_column(column, justify="left" if column in ("tenant", "queue", "channel") else "right")
    for tenant in sim.tenants:
        local = sim.sim_now().astimezone(ZoneInfo(tenant.plan.time_zone))
        for queue in tenant.queues:
            try:
                stats = (
                    await sla.GetQueueStatistics(
                        sla_pb2.GetQueueStatisticsRequest(
                            tenant_id=tenant.tenant_id, queue_id=queue.queue_id
                        ),
                        metadata=sim.ops,
                        timeout=2,
                    )
                ).statistics
            except grpc.RpcError:
                table.add_row(tenant.plan.name, _clock(local), queue.plan.name, "…")
                continue
            alerts = ", ".join(
                sorted(
                    {
                        sla_pb2.AlertKind.Name(a.kind).removeprefix("ALERT_KIND_").lower()
                        for a in stats.open_alerts
                    }
                )
            )
            rolling = {f.channel: f for f in stats.rolling_hour}
            for n, current in enumerate(stats.current):
                hour = rolling.get(current.channel)
                abandoned = (
                    hour.abandonment_rate if hour is not None and hour.HasField("abandonment_rate") else None
                )
                table.add_row(
                    tenant.plan.name if n == 0 else "",
                    _clock(local) if n == 0 else "",
                    queue.plan.name if n == 0 else "",
                    _CHANNEL.get(current.channel, "?"),
                    str(stats.waiting) if n == 0 else "",
                    f"{stats.estimated_wait_seconds:.0f} s" if n == 0 else "",
                    f"{stats.longest_waiting_seconds:.0f} s" if n == 0 else "",
                    _level(
                        current.service_level if current.HasField("service_level") else None, current.target
                    ),
                    f"{current.target:.0%}",
                    str(hour.answered if hour else 0),
                    "-" if abandoned is None else f"{abandoned:.0%}",
                    Text(alerts, style="bold red") if alerts and n == 0 else "",
                )
    agents = _agents(routing_metrics_url)
    counts = sim.tally.counts
    summary = Text(
        f"simulated {sim.sim_now():%a %H:%M} UTC (x{sim.speed:g})   agents: "
        + ", ".join(f"{k.lower()} {v:.0f}" for k, v in sorted(agents.items()) if v)
        + f"   customers: {counts['submitted']} submitted, {counts['callback_requested']} callbacks   agents: {counts['accepted']} accepted, "
        f"{counts['rejected']} rejected, {counts['not_answered']} not answered, {counts['wrapped_up']} wrapped up"
    )
    return Group(table, summary)


def _clock(at: datetime) -> str:
    return at.strftime("%a %H:%M")
