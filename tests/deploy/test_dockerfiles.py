"""Each service's Dockerfile: lint clean, multi-stage, non-root, runs the module its Deployment runs."""

from __future__ import annotations

import re

import pytest

from tests.deploy._support import ROOT, run_tool
from tests.deploy.test_kustomize import SERVICES

DOCKERFILES = {service: ROOT / "services" / service / "Dockerfile" for service in SERVICES}


def test_hadolint_passes() -> None:
    result = run_tool("hadolint", *(str(path) for path in DOCKERFILES.values()))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("service", SERVICES)
def test_dockerfile_is_multi_stage_non_root_and_runs_the_service(service: str) -> None:
    text = DOCKERFILES[service].read_text(encoding="utf-8")
    assert len(re.findall(r"^FROM ", text, re.MULTILINE)) >= 2
    assert "COPY --from=build" in text
    users = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert users
    assert users[-1].split(":")[0] not in {"0", "root"}
    module = SERVICES[service][0]
    assert re.findall(r"^CMD (.+)$", text, re.MULTILINE) == [f'["python", "-m", "{module}"]']


def test_dockerignore_keeps_the_context_small() -> None:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert lines[lines.index("**")] == "**"  # everything out, then only what the image needs back in
    assert {"!pyproject.toml", "!libs/", "!services/"} <= set(lines)
