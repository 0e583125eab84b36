"""The four Växel dashboards, as code (grafana-foundation-sdk).

``python -m deploy.generate`` writes them to ``deploy/grafana/dashboards/<uid>.json``; a test checks the
committed JSON is what this module builds and that every query uses only the metrics the services export.
Every panel reads the provisioned datasource with the fixed uid ``vaxel-prometheus``.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard, prometheus, stat, table, timeseries
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.cog.variants import Dataquery
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models.common import BigValueColorMode, BigValueGraphMode
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

__all__ = ["DATASOURCE_UID", "all_dashboards"]

DATASOURCE_UID = "vaxel-prometheus"
_DS = model.DataSourceRef(type_val="prometheus", uid=DATASOURCE_UID)
_TAGS = ["vaxel"]
_REF_IDS = "ABCDEFGHIJ"
# Server-side failures (the same set as the VaxelGrpcErrorRatioHigh alert); client errors are the caller's.
_GRPC_ERRORS = 'code=~"UNKNOWN|INTERNAL|UNAVAILABLE|DATA_LOSS|DEADLINE_EXCEEDED"'
_NOT_HEALTH = 'method!~"/grpc[.]health[.]v1[.]Health/.*"'

Query = tuple[str, str]  # (PromQL, legend)


def _targets(queries: list[Query], *, instant: bool = False) -> list[Builder[Dataquery]]:
    out: list[Builder[Dataquery]] = []
    for ref_id, (expr, legend) in zip(_REF_IDS, queries, strict=False):
        query = prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(ref_id)
        if instant:
            query = query.instant().format(PromQueryFormat.TABLE)
        out.append(query)
    return out


class _Layout:
    """Hands out panel ids in order, so the JSON is stable."""

    def __init__(self) -> None:
        self.next_id = 1

    def take(self) -> int:
        self.next_id += 1
        return self.next_id - 1


def _series(
    layout: _Layout, title: str, description: str, queries: list[Query], unit: str, width: int = 12
) -> timeseries.Panel:
    return (
        timeseries.Panel()
        .id(layout.take())
        .title(title)
        .description(description)
        .datasource(_DS)
        .targets(_targets(queries))
        .unit(unit)
        .height(8)
        .span(width)
    )


def _stat(
    layout: _Layout,
    title: str,
    description: str,
    expr: str,
    unit: str,
    red_from: float | None = None,
) -> stat.Panel:
    steps = [model.Threshold(value=None, color="green")]
    if red_from is not None:
        steps.append(model.Threshold(value=red_from, color="red"))
    return (
        stat.Panel()
        .id(layout.take())
        .title(title)
        .description(description)
        .datasource(_DS)
        .targets(_targets([(expr, "")]))
        .unit(unit)
        .graph_mode(BigValueGraphMode.AREA)
        .color_mode(BigValueColorMode.BACKGROUND)
        .thresholds(dashboard.ThresholdsConfig().mode(model.ThresholdsMode.ABSOLUTE).steps(steps))
        .height(4)
        .span(4)
    )


def _table(layout: _Layout, title: str, description: str, queries: list[Query]) -> table.Panel:
    return (
        table.Panel()
        .id(layout.take())
        .title(title)
        .description(description)
        .datasource(_DS)
        .targets(_targets(queries, instant=True))
        .height(8)
        .span(24)
    )


def _row(layout: _Layout, title: str) -> dashboard.Row:
    return dashboard.Row(title).id(layout.take())


def _base(uid: str, title: str, description: str) -> dashboard.Dashboard:
    return (
        dashboard.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(_TAGS)
        .refresh("30s")
        .time("now-6h", "now")
        .timezone("browser")
        .readonly()
    )


def _query_variable(name: str, label: str, query: str, *, multi: bool) -> dashboard.QueryVariable:
    variable = (
        dashboard.QueryVariable(name)
        .label(label)
        .datasource(_DS)
        .query(query)
        .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(model.VariableSort.ALPHABETICAL_ASC)
        .multi(multi)
    )
    if multi:
        variable = variable.include_all(True).all_value(".*")
    return variable


def ops_overview() -> dashboard.Dashboard:
    """Every tenant at once: where service levels stand and where they are heading."""
    lay = _Layout()
    return (
        _base(
            "vaxel-ops-overview",
            "Växel / Operations overview",
            "Service levels, queues and staffing across every tenant (current 15-minute interval).",
        )
        .with_row(_row(lay, "Now"))
        .with_panel(
            _stat(
                lay,
                "Queues in breach",
                "Queues whose current interval is below the contracted service level.",
                'sum(vaxel_sla_alerts_open{kind="breach"}) or vector(0)',
                "none",
                red_from=1,
            )
        )
        .with_panel(
            _stat(
                lay,
                "Queues predicted to breach",
                "Queues the SLA service expects to miss their target in this interval.",
                'sum(vaxel_sla_alerts_open{kind="predicted_breach"}) or vector(0)',
                "none",
                red_from=1,
            )
        )
        .with_panel(
            _stat(
                lay,
                "Waiting interactions",
                "Interactions waiting in any queue of any tenant.",
                "sum(vaxel_sla_waiting_interactions)",
                "none",
            )
        )
        .with_panel(
            _stat(
                lay,
                "Longest wait",
                "The longest current wait in any queue.",
                "max(vaxel_sla_longest_wait_seconds)",
                "s",
            )
        )
        .with_panel(
            _stat(
                lay,
                "Agents available",
                "Agents available across every queue (an agent serving several queues counts in each).",
                "sum(vaxel_sla_agents_available)",
                "none",
            )
        )
        .with_panel(
            _stat(
                lay,
                "Agents short",
                "Agents required to meet each queue's target minus agents available, summed over the "
                "queues that are short.",
                "sum(clamp_min(vaxel_sla_agents_required - vaxel_sla_agents_available, 0))",
                "none",
                red_from=1,
            )
        )
        .with_row(_row(lay, "Service level"))
        .with_panel(
            _table(
                lay,
                "Queues below target",
                "Current-interval service level of every queue channel below its target, worst first.",
                [
                    (
                        "sort(vaxel_sla_service_level_ratio < on (tenant, queue, channel) "
                        "vaxel_sla_service_level_target_ratio)",
                        "",
                    )
                ],
            )
        )
        .with_panel(
            _series(
                lay,
                "Service level by tenant (worst queue)",
                "The lowest current-interval service level among each tenant's queues.",
                [("min by (tenant) (vaxel_sla_service_level_ratio)", "{{tenant}}")],
                "percentunit",
            )
        )
        .with_panel(
            _series(
                lay,
                "Abandon rate by tenant",
                "Abandoned over offered interactions, last 15 minutes.",
                [
                    (
                        "sum by (tenant) (rate(vaxel_sla_abandoned_total[15m])) / "
                        "sum by (tenant) (rate(vaxel_sla_offered_total[15m]))",
                        "{{tenant}}",
                    )
                ],
                "percentunit",
            )
        )
        .with_row(_row(lay, "Traffic"))
        .with_panel(
            _series(
                lay,
                "Offered by tenant",
                "Interactions offered to queues, per second.",
                [("sum by (tenant) (rate(vaxel_sla_offered_total[5m]))", "{{tenant}}")],
                "reqps",
            )
        )
        .with_panel(
            _series(
                lay,
                "Offered by channel",
                "Interactions offered to queues, per second, every tenant.",
                [("sum by (channel) (rate(vaxel_sla_offered_total[5m]))", "{{channel}}")],
                "reqps",
            )
        )
        .with_panel(
            _series(
                lay,
                "Waiting by tenant",
                "Interactions waiting, per tenant.",
                [("sum by (tenant) (vaxel_sla_waiting_interactions)", "{{tenant}}")],
                "none",
            )
        )
        .with_panel(
            _series(
                lay,
                "SLA alerts raised",
                "Breach and predicted-breach alerts raised per hour.",
                [("sum by (kind) (increase(vaxel_sla_alerts_raised_total[1h]))", "{{kind}}")],
                "none",
            )
        )
        .with_row(_row(lay, "Agents"))
        .with_panel(
            _series(
                lay,
                "Agent occupancy by site",
                "Handling / available and handling / logged-in time of the agents, per site, last hour.",
                [
                    ("vaxel_sla_occupancy_ratio", "occupancy {{site}}"),
                    ("vaxel_sla_utilisation_ratio", "utilisation {{site}}"),
                ],
                "percentunit",
            )
        )
        .with_panel(
            _series(
                lay,
                "Tenant share of shared agents",
                "Each tenant's handling / the available time of the agents that served it, last hour.",
                [("vaxel_sla_tenant_share_ratio", "{{tenant}}")],
                "percentunit",
            )
        )
    )


def tenant_drilldown() -> dashboard.Dashboard:
    """One tenant's queues: service level against target, traffic per channel, waits and staffing."""
    lay = _Layout()
    sel = 'tenant="$tenant", queue=~"$queue"'
    return (
        _base(
            "vaxel-tenant",
            "Växel / Tenant",
            "One tenant's queues: service level against target, traffic, waits and staffing.",
        )
        .with_variable(
            _query_variable(
                "tenant", "Tenant", "label_values(vaxel_sla_service_level_ratio, tenant)", multi=False
            )
        )
        .with_variable(
            _query_variable(
                "queue",
                "Queue",
                'label_values(vaxel_sla_service_level_ratio{tenant="$tenant"}, queue)',
                multi=True,
            )
        )
        .with_row(_row(lay, "Service level"))
        .with_panel(
            _series(
                lay,
                "Service level and target",
                "Current 15-minute interval service level of each queue, and its target (dashed in the "
                "legend as 'target').",
                [
                    (f"vaxel_sla_service_level_ratio{{{sel}}}", "{{queue}}"),
                    (f"vaxel_sla_service_level_target_ratio{{{sel}}}", "{{queue}} target"),
                ],
                "percentunit",
                width=24,
            )
        )
        .with_panel(
            _series(
                lay,
                "Projected service level and target",
                "Where each queue's current and next 15-minute interval are heading by the contract "
                "formula: the waiting work, the arrival forecast and the agents serving the queue now "
                "(Erlang C, or A with abandons), against the target in force.",
                [
                    (
                        f'vaxel_sla_projected_service_level_ratio{{{sel}, interval="current"}}',
                        "{{queue}} {{channel}} current",
                    ),
                    (
                        f'vaxel_sla_projected_service_level_ratio{{{sel}, interval="next"}}',
                        "{{queue}} {{channel}} next",
                    ),
                    (f"vaxel_sla_service_level_target_ratio{{{sel}}}", "{{queue}} {{channel}} target"),
                ],
                "percentunit",
                width=24,
            )
        )
        .with_panel(
            _table(
                lay,
                "Open SLA alerts",
                "Breach and predicted-breach alerts open now.",
                [(f"vaxel_sla_alerts_open{{{sel}}} == 1", "")],
            )
        )
        .with_row(_row(lay, "Traffic"))
        .with_panel(
            _series(
                lay,
                "Offered, answered and abandoned",
                "Per second, by channel.",
                [
                    (f"sum by (channel) (rate(vaxel_sla_offered_total{{{sel}}}[5m]))", "offered {{channel}}"),
                    (
                        f"sum by (channel) (rate(vaxel_sla_answered_total{{{sel}}}[5m]))",
                        "answered {{channel}}",
                    ),
                    (
                        f"sum by (channel) (rate(vaxel_sla_abandoned_total{{{sel}}}[5m]))",
                        "abandoned {{channel}}",
                    ),
                ],
                "reqps",
                width=24,
            )
        )
        .with_row(_row(lay, "Waiting and staffing"))
        .with_panel(
            _series(
                lay,
                "Waiting interactions",
                "Interactions waiting per queue.",
                [(f"vaxel_sla_waiting_interactions{{{sel}}}", "{{queue}}")],
                "none",
            )
        )
        .with_panel(
            _series(
                lay,
                "Estimated and longest wait",
                "The estimated wait of a new arrival and the longest current wait, per queue.",
                [
                    (f"vaxel_sla_estimated_wait_seconds{{{sel}}}", "estimated {{queue}}"),
                    (f"vaxel_sla_longest_wait_seconds{{{sel}}}", "longest {{queue}}"),
                ],
                "s",
            )
        )
        .with_panel(
            _series(
                lay,
                "Agents required and available",
                "Agents needed to meet the target (Erlang) and agents available, per queue.",
                [
                    (f"vaxel_sla_agents_required{{{sel}}}", "required {{queue}}"),
                    (f"vaxel_sla_agents_available{{{sel}}}", "available {{queue}}"),
                ],
                "none",
                width=24,
            )
        )
    )


def routing_health() -> dashboard.Dashboard:
    """The routing engine: decision cost, offers, waiting work and agents per pool, its input log."""
    lay = _Layout()
    return (
        _base(
            "vaxel-routing",
            "Växel / Routing",
            "Routing decisions, offers, pools and the inputs log.",
        )
        .with_row(_row(lay, "Decisions and offers"))
        .with_panel(
            _series(
                lay,
                "Decision latency",
                "Time the engine takes for one routing decision.",
                [
                    (
                        "histogram_quantile(0.5, sum by (le) "
                        "(rate(vaxel_routing_decision_duration_seconds_bucket[5m])))",
                        "p50",
                    ),
                    (
                        "histogram_quantile(0.99, sum by (le) "
                        "(rate(vaxel_routing_decision_duration_seconds_bucket[5m])))",
                        "p99",
                    ),
                ],
                "s",
            )
        )
        .with_panel(
            _series(
                lay,
                "Offers by outcome",
                "Offers made to agents and how they ended, per second.",
                [("sum by (outcome) (rate(vaxel_routing_offers_total[5m]))", "{{outcome}}")],
                "ops",
            )
        )
        .with_panel(
            _series(
                lay,
                "Offer acceptance",
                "Accepted offers over all offers that ended (accepted, rejected or timed out).",
                [
                    (
                        'sum(rate(vaxel_routing_offers_total{outcome="accepted"}[15m])) / '
                        'sum(rate(vaxel_routing_offers_total{outcome=~"accepted|rejected|timed_out"}[15m]))',
                        "accepted",
                    )
                ],
                "percentunit",
            )
        )
        .with_panel(
            _series(
                lay,
                "Inputs log lag",
                "Records of the routing inputs and inbound topics not yet applied.",
                [
                    (
                        'sum by (topic) (vaxel_consumer_lag_records{service="routing"})',
                        "{{topic}}",
                    )
                ],
                "none",
            )
        )
        .with_row(_row(lay, "Pools"))
        .with_panel(
            _series(
                lay,
                "Waiting by pool",
                "Interactions waiting for an agent, per routing pool.",
                [("sum by (pool) (vaxel_routing_waiting_interactions)", "{{pool}}")],
                "none",
            )
        )
        .with_panel(
            _series(
                lay,
                "Agents by pool and presence",
                "Logged-in agents per routing pool and presence.",
                [("sum by (pool, presence) (vaxel_routing_agents)", "{{pool}} {{presence}}")],
                "none",
            )
        )
        .with_row(_row(lay, "API and events"))
        .with_panel(
            _series(
                lay,
                "gRPC requests by method",
                "Routing API requests per second (health checks left out).",
                [
                    (
                        f'sum by (method) (rate(vaxel_grpc_requests_total{{service="routing", {_NOT_HEALTH}}}[5m]))',
                        "{{method}}",
                    )
                ],
                "reqps",
            )
        )
        .with_panel(
            _series(
                lay,
                "gRPC p99 latency by method",
                "99th percentile of routing API latency.",
                [
                    (
                        "histogram_quantile(0.99, sum by (method, le) "
                        '(rate(vaxel_grpc_request_duration_seconds_bucket{service="routing"}[5m])))',
                        "{{method}}",
                    )
                ],
                "s",
            )
        )
        .with_panel(
            _series(
                lay,
                "Events produced",
                "Events routing publishes, per second, by event type.",
                [
                    (
                        'sum by (event_type) (rate(vaxel_events_produced_total{service="routing"}[5m]))',
                        "{{event_type}}",
                    )
                ],
                "ops",
                width=24,
            )
        )
    )


def platform_health() -> dashboard.Dashboard:
    """The services as processes: up, gRPC, Kafka consumption, dead letters, channels, webhooks, CPU and memory."""
    lay = _Layout()
    job = 'job=~"vaxel-.+"'
    return (
        _base(
            "vaxel-platform",
            "Växel / Platform health",
            "Every service: availability, gRPC, Kafka consumption, dead letters, conversations, webhooks, CPU and memory.",
        )
        .with_row(_row(lay, "Availability"))
        .with_panel(
            _series(
                lay,
                "Instances up",
                "Instances answering their metrics scrape, per service.",
                [(f"sum by (job) (up{{{job}}})", "{{job}}")],
                "none",
                width=24,
            )
        )
        .with_row(_row(lay, "gRPC"))
        .with_panel(
            _series(
                lay,
                "Requests by service",
                "gRPC requests per second (health checks left out).",
                [
                    (
                        f"sum by (service) (rate(vaxel_grpc_requests_total{{{_NOT_HEALTH}}}[5m]))",
                        "{{service}}",
                    )
                ],
                "reqps",
            )
        )
        .with_panel(
            _series(
                lay,
                "Server error ratio",
                "Share of requests failing with a server-side code (the VaxelGrpcErrorRatioHigh alert "
                "pages above 5 %).",
                [
                    (
                        f"sum by (service) (rate(vaxel_grpc_requests_total{{{_GRPC_ERRORS}, {_NOT_HEALTH}}}[5m])) / "
                        f"sum by (service) (rate(vaxel_grpc_requests_total{{{_NOT_HEALTH}}}[5m]))",
                        "{{service}}",
                    )
                ],
                "percentunit",
            )
        )
        .with_panel(
            _series(
                lay,
                "Requests by code",
                "gRPC requests per second by status code.",
                [
                    (
                        f"sum by (service, code) (rate(vaxel_grpc_requests_total{{{_NOT_HEALTH}}}[5m]))",
                        "{{service}} {{code}}",
                    )
                ],
                "reqps",
            )
        )
        .with_panel(
            _series(
                lay,
                "p99 latency by service",
                "99th percentile of gRPC request latency.",
                [
                    (
                        "histogram_quantile(0.99, sum by (service, le) "
                        f"(rate(vaxel_grpc_request_duration_seconds_bucket{{{_NOT_HEALTH}}}[5m])))",
                        "{{service}}",
                    )
                ],
                "s",
            )
        )
        .with_row(_row(lay, "Kafka"))
        .with_panel(
            _series(
                lay,
                "Consumer lag",
                "Records not yet consumed, per service and topic.",
                [("sum by (service, topic) (vaxel_consumer_lag_records)", "{{service}} {{topic}}")],
                "none",
            )
        )
        .with_panel(
            _series(
                lay,
                "Dead letters",
                "Records sent to the dead-letter topic in the last 10 minutes.",
                [
                    (
                        "sum by (service, topic) (increase(vaxel_dead_letters_total[10m]))",
                        "{{service}} {{topic}}",
                    )
                ],
                "none",
            )
        )
        .with_panel(
            _series(
                lay,
                "Events consumed",
                "Events consumed per second, per service and topic.",
                [
                    (
                        "sum by (service, topic) (rate(vaxel_events_consumed_total[5m]))",
                        "{{service}} {{topic}}",
                    )
                ],
                "ops",
            )
        )
        .with_panel(
            _series(
                lay,
                "Events produced",
                "Events produced per second, per service and topic.",
                [
                    (
                        "sum by (service, topic) (rate(vaxel_events_produced_total[5m]))",
                        "{{service}} {{topic}}",
                    )
                ],
                "ops",
            )
        )
        .with_panel(
            _series(
                lay,
                "Batch processing p99",
                "99th percentile of the time to process one consumed batch.",
                [
                    (
                        "histogram_quantile(0.99, sum by (service, topic, le) "
                        "(rate(vaxel_event_processing_duration_seconds_bucket[5m])))",
                        "{{service}} {{topic}}",
                    )
                ],
                "s",
                width=24,
            )
        )
        .with_row(_row(lay, "Conversations and integrations"))
        .with_panel(
            _series(
                lay,
                "Messages posted",
                "Transcript messages accepted by the conversation service per second, by author kind; chats "
                "started per second.",
                [
                    ("sum by (author_kind) (rate(vaxel_conversation_messages_total[5m]))", "{{author_kind}}"),
                    ("sum (rate(vaxel_conversation_chats_started_total[5m]))", "chats started"),
                ],
                "ops",
            )
        )
        .with_panel(
            _series(
                lay,
                "Message post p99",
                "99th percentile of the time from a message's arrival to its acknowledgement (on Kafka).",
                [
                    (
                        "histogram_quantile(0.99, sum by (le) "
                        "(rate(vaxel_conversation_post_duration_seconds_bucket[5m])))",
                        "p99",
                    )
                ],
                "s",
            )
        )
        .with_panel(
            _series(
                lay,
                "Webhook attempts by outcome",
                "Webhook delivery attempts per second: delivered, retried (backing off) and failed (given up "
                "after a day; the VaxelWebhookDeliveriesFailed alert).",
                [
                    (
                        "sum by (outcome) (rate(vaxel_integrations_delivery_attempts_total[5m]))",
                        "{{outcome}}",
                    )
                ],
                "ops",
            )
        )
        .with_panel(
            _series(
                lay,
                "Webhook backlog and latency",
                "Deliveries waiting for their first or next attempt, and the p99 time from the event to its "
                "delivery.",
                [
                    ("sum (vaxel_integrations_pending_deliveries)", "pending"),
                    (
                        "histogram_quantile(0.99, sum by (le) "
                        "(rate(vaxel_integrations_delivery_latency_seconds_bucket[5m])))",
                        "p99 event to delivery (s)",
                    ),
                ],
                "none",
            )
        )
        .with_row(_row(lay, "Processes"))
        .with_panel(
            _series(
                lay,
                "CPU",
                "CPU seconds per second, per instance.",
                [(f"rate(process_cpu_seconds_total{{{job}}}[5m])", "{{job}} {{instance}}")],
                "percentunit",
            )
        )
        .with_panel(
            _series(
                lay,
                "Resident memory",
                "Resident memory per instance.",
                [(f"process_resident_memory_bytes{{{job}}}", "{{job}} {{instance}}")],
                "bytes",
            )
        )
    )


def all_dashboards() -> dict[str, dashboard.Dashboard]:
    """Every dashboard by uid (the uid is also its file name)."""
    boards = (ops_overview(), tenant_drilldown(), routing_health(), platform_health())
    return {str(board.build().uid): board for board in boards}
