"""Every service has the same shape, and no service (nor the CLI or the simulator) imports another's package."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p for p in (ROOT / "services").iterdir() if p.is_dir())
SERVICE_PACKAGES = {p.name: "vaxel_" + p.name.replace("-", "_") for p in SERVICES}
README_HEADINGS = ["What it does", "APIs", "Topics read and written", "Settings", "Metrics"]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_the_services_are_found() -> None:
    assert set(SERVICE_PACKAGES) >= {"client-tenant", "routing", "interaction-log", "sla"}


@pytest.mark.parametrize("service", SERVICES, ids=lambda p: p.name)
def test_service_has_the_common_layout(service: Path) -> None:
    package = service / SERVICE_PACKAGES[service.name]
    missing = [
        part
        for part in ("domain/__init__.py", "adapters/__init__.py", "settings.py", "metrics.py", "__main__.py")
        if not (package / part).exists()
    ]
    assert not missing, f"{package.relative_to(ROOT)} lacks {missing}"


@pytest.mark.parametrize("service", SERVICES, ids=lambda p: p.name)
def test_service_readme_has_the_common_headings(service: Path) -> None:
    headings = re.findall(r"^## (.+)$", (service / "README.md").read_text(), flags=re.MULTILINE)
    assert headings[: len(README_HEADINGS)] == README_HEADINGS


@pytest.mark.parametrize("service", SERVICES, ids=lambda p: p.name)
def test_domain_imports_no_adapter_or_transport(service: Path) -> None:
    domain = service / SERVICE_PACKAGES[service.name] / "domain"
    forbidden = {"grpc", "aiokafka", "kafka", "prometheus_client", "sqlite3", "psycopg", "vaxel"}
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & forbidden) for path in domain.rglob("*.py")
    }
    assert {path: found for path, found in offenders.items() if found} == {}


@pytest.mark.parametrize(
    "tree",
    [*SERVICES, ROOT / "cli", ROOT / "simulator"],
    ids=lambda p: p.name,
)
def test_no_package_imports_another_service(tree: Path) -> None:
    own = SERVICE_PACKAGES.get(tree.name)
    others = set(SERVICE_PACKAGES.values()) - {own}
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & others)
        for path in tree.rglob("*.py")
        if ".venv" not in path.parts
    }
    assert {path: found for path, found in offenders.items() if found} == {}
