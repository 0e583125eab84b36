"""Dashboards: generated JSON is fresh, reads the provisioned datasource and only the metrics the services export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy import generate
from tests.deploy._support import (
    DASHBOARD_UIDS,
    DASHBOARDS,
    DEPLOY,
    dashboard,
    metric_names,
    panels,
    run_tool,
    variable_metric_names,
)

# The metrics the services export (the contract the services and these dashboards and alerts share).
CONTRACT_METRICS = frozenset(
    {
        # every service
        "vaxel_grpc_requests_total",
        "vaxel_grpc_request_duration_seconds_bucket",
        "vaxel_events_consumed_total",
        "vaxel_events_produced_total",
        "vaxel_dead_letters_total",
        "vaxel_records_refused_total",
        "vaxel_event_processing_duration_seconds_bucket",
        "vaxel_consumer_lag_records",
        "vaxel_consumer_stalled",
        "vaxel_consumer_errors_total",
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "up",
        # routing
        "vaxel_routing_decision_duration_seconds_bucket",
        "vaxel_routing_offers_total",
        "vaxel_routing_waiting_interactions",
        "vaxel_routing_agents",
        # sla
        "vaxel_sla_service_level_ratio",
        "vaxel_sla_service_level_target_ratio",
        "vaxel_sla_offered_total",
        "vaxel_sla_answered_total",
        "vaxel_sla_abandoned_total",
        "vaxel_sla_waiting_interactions",
        "vaxel_sla_estimated_wait_seconds",
        "vaxel_sla_longest_wait_seconds",
        "vaxel_sla_agents_required",
        "vaxel_sla_agents_available",
        "vaxel_sla_alerts_open",
        "vaxel_sla_alerts_raised_total",
        "vaxel_sla_occupancy_ratio",
        "vaxel_sla_utilisation_ratio",
        "vaxel_sla_tenant_share_ratio",
        "vaxel_sla_projected_service_level_ratio",
        # conversation
        "vaxel_conversation_messages_total",
        "vaxel_conversation_chats_started_total",
        "vaxel_conversation_post_duration_seconds_bucket",
        # integrations
        "vaxel_integrations_delivery_attempts_total",
        "vaxel_integrations_pending_deliveries",
        "vaxel_integrations_delivery_latency_seconds_bucket",
    }
)
DATASOURCE_UID = "vaxel-prometheus"  # fixed: the provisioning file and every panel name it
UIDS = DASHBOARD_UIDS


class TestGenerated:
    def test_generated_files_are_fresh(self) -> None:
        stale = [str(path.relative_to(generate.ROOT)) for path in generate.stale()]
        assert not stale, f"run `python -m deploy.generate`: {stale}"

    def test_the_four_dashboards_and_nothing_else(self) -> None:
        assert {p.stem for p in DASHBOARDS.glob("*.json")} == UIDS


@pytest.mark.parametrize("uid", sorted(UIDS))
class TestDashboard:
    def test_panels_read_only_contract_metrics(self, uid: str) -> None:
        board = dashboard(uid)
        read: set[str] = set()
        for panel in panels(board):
            if panel["type"] == "row":
                continue
            names = {name for target in panel["targets"] for name in metric_names(target["expr"])}
            assert names, f"{panel['title']} reads no metric"
            assert names <= CONTRACT_METRICS, f"{panel['title']}: {sorted(names - CONTRACT_METRICS)}"
            read |= names
        for variable in board.get("templating", {}).get("list", []):
            assert variable_metric_names(variable["query"]) <= CONTRACT_METRICS, variable["name"]
        assert read

    def test_panels_use_the_provisioned_datasource_and_unique_ids(self, uid: str) -> None:
        board = dashboard(uid)
        ids = [panel["id"] for panel in panels(board)]
        assert len(ids) == len(set(ids))
        assert 0 not in ids
        for panel in panels(board):
            if panel["type"] != "row":
                assert panel["datasource"] == {"type": "prometheus", "uid": DATASOURCE_UID}
                assert [t["refId"] for t in panel["targets"]] == list("ABCDEFGHIJ"[: len(panel["targets"])])
        for variable in board.get("templating", {}).get("list", []):
            assert variable["datasource"]["uid"] == DATASOURCE_UID


def test_every_query_is_valid_promql(tmp_path: Path) -> None:
    """promtool parses each panel query as a recording rule (dashboard variables replaced by values)."""
    rules: list[dict[str, str]] = []
    for uid in sorted(UIDS):
        for panel in panels(dashboard(uid)):
            for target in panel.get("targets", []):
                expr = target["expr"].replace("$tenant", "t-1").replace("$queue", ".*")
                assert "$" not in expr, f"unknown variable in {uid} / {panel['title']}: {expr}"
                rules.append({"record": f"dashboard:{uid.replace('-', '_')}:{len(rules)}", "expr": expr})
    path = tmp_path / "dashboards.rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}), encoding="utf-8")
    result = run_tool("promtool", "check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


class TestProvisioning:
    def test_tenant_dashboard_has_a_tenant_variable_used_by_every_panel(self) -> None:
        board = dashboard("vaxel-tenant")
        assert "tenant" in {v["name"] for v in board["templating"]["list"]}
        for panel in panels(board):
            for target in panel.get("targets", []):
                assert 'tenant="$tenant"' in target["expr"], panel["title"]

    def test_datasource_has_the_fixed_uid(self) -> None:
        config = _yaml(DEPLOY / "grafana" / "provisioning" / "datasources" / "vaxel.yaml")
        (datasource,) = config["datasources"]
        assert (datasource["uid"], datasource["type"]) == (DATASOURCE_UID, "prometheus")

    def test_dashboard_provider_loads_files(self) -> None:
        config = _yaml(DEPLOY / "grafana" / "provisioning" / "dashboards" / "vaxel.yaml")
        (provider,) = config["providers"]
        assert provider["type"] == "file"
        assert provider["options"]["path"]


class TestPromqlReader:
    """The metric-name reader the checks above rely on."""

    @pytest.mark.parametrize(
        ("expr", "names"),
        [
            (
                'sum by (service) (rate(a_total{code=~"X|Y"}[5m])) / sum(rate(b_total[5m])) > 0.05',
                {"a_total", "b_total"},
            ),
            ("histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m])))", {"h_bucket"}),
            ("x < on (tenant, queue) y and z offset 5m or vector(0)", {"x", "y", "z"}),
            ('absent(up{job="vaxel-sla"}) unless max without (instance) (1e3 * q)', {"up", "q"}),
        ],
    )
    def test_reads_metric_names(self, expr: str, names: set[str]) -> None:
        assert metric_names(expr) == names

    def test_reads_label_values_queries(self) -> None:
        assert variable_metric_names('label_values(m{tenant="$tenant"}, queue)') == {"m"}
        assert variable_metric_names("label_values(queue)") == set()


def _yaml(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded
