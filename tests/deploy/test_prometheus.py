"""The scrape config and alert rules pass promtool, every alert has a unit test and a runbook entry."""

from __future__ import annotations

import re
from typing import Any

import yaml

from tests.deploy._support import DEPLOY, ROOT, metric_names, run_tool
from tests.deploy.test_grafana import CONTRACT_METRICS

PROMETHEUS = DEPLOY / "prometheus"
RULES = PROMETHEUS / "rules" / "vaxel.rules.yml"
JOBS = {
    "vaxel-client-tenant",
    "vaxel-routing",
    "vaxel-interaction-log",
    "vaxel-sla",
    "vaxel-integrations",
    "vaxel-conversation",
}


def _alerts() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


class TestPromtool:
    def test_check_config(self) -> None:
        result = run_tool("promtool", "check", "config", "prometheus.yml", cwd=PROMETHEUS)
        assert result.returncode == 0, result.stdout + result.stderr

    def test_check_rules(self) -> None:
        result = run_tool("promtool", "check", "rules", str(RULES))
        assert result.returncode == 0, result.stdout + result.stderr

    def test_rule_unit_tests_pass(self) -> None:
        tests = sorted(str(p.relative_to(PROMETHEUS)) for p in (PROMETHEUS / "tests").glob("*.yml"))
        assert tests
        result = run_tool("promtool", "test", "rules", *tests, cwd=PROMETHEUS)
        assert result.returncode == 0, result.stdout + result.stderr


class TestRules:
    def test_scrape_jobs_are_the_services(self) -> None:
        config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text(encoding="utf-8"))
        assert {job["job_name"] for job in config["scrape_configs"]} == JOBS
        assert config["rule_files"] == ["rules/vaxel.rules.yml"]

    def test_every_alert_has_a_unit_test_that_expects_it_to_fire(self) -> None:
        fired = set()
        for path in (PROMETHEUS / "tests").glob("*.yml"):
            for test in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]:
                for case in test.get("alert_rule_test", []):
                    if case["exp_alerts"]:
                        fired.add(case["alertname"])
        assert {rule["alert"] for rule in _alerts()} == fired

    def test_every_alert_has_a_severity_and_a_runbook_entry(self) -> None:
        operations = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
        anchors = {heading.lower() for heading in re.findall(r"^#+ +`?(\w+)`?\s*$", operations, re.MULTILINE)}
        for rule in _alerts():
            assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
            assert rule["annotations"]["runbook_url"] == f"docs/operations.md#{rule['alert'].lower()}"
            assert rule["alert"].lower() in anchors, f"no runbook heading for {rule['alert']}"

    def test_rules_read_only_contract_metrics(self) -> None:
        for rule in _alerts():
            assert metric_names(rule["expr"]) <= CONTRACT_METRICS, rule["alert"]
