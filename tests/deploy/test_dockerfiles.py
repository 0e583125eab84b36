"""The one Dockerfile: lint clean, multi-stage, non-root, and its command runs the service it was built for."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy._support import ROOT, run_tool
from tests.deploy.test_kustomize import SERVICES

DOCKERFILE = ROOT / "Dockerfile"
ENTRYPOINT = ROOT / "deploy" / "docker" / "entrypoint.sh"


def test_hadolint_passes() -> None:
    result = run_tool("hadolint", str(DOCKERFILE))
    assert result.returncode == 0, result.stdout + result.stderr


def test_one_dockerfile_multi_stage_non_root_with_the_service_as_build_argument() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert len(re.findall(r"^FROM ", text, re.MULTILINE)) >= 2
    assert "COPY --from=build" in text
    assert len(re.findall(r"^ARG SERVICE$", text, re.MULTILINE)) == 2  # in both stages
    assert "VAXEL_SERVICE=${SERVICE}" in text
    users = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert users
    assert users[-1].split(":")[0] not in {"0", "root"}
    assert re.findall(r"^CMD (.+)$", text, re.MULTILINE) == ['["vaxel-service"]']
    assert not list((ROOT / "services").glob("*/Dockerfile"))


def _run_entrypoint(tmp_path: Path, service: str, *args: str, **env: str) -> list[str]:
    """Run the entrypoint with a `python` on PATH that records what it was asked to run."""
    recorder = tmp_path / "python"
    recorder.write_text(
        f"#!{sys.executable}\nimport os, sys\n"
        "print('\\n'.join(sys.argv[1:]))\n"
        "print('\\n'.join(f'{k}={v}' for k, v in sorted(os.environ.items()) if k.startswith('VAXEL_')))\n",
        encoding="utf-8",
    )
    recorder.chmod(0o755)
    environment = {"PATH": f"{tmp_path}:/usr/bin:/bin", "VAXEL_SERVICE": service, **env}
    result = subprocess.run(
        ["/bin/sh", str(ENTRYPOINT), *args], env=environment, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


@pytest.mark.parametrize("service", SERVICES)
def test_entrypoint_runs_the_module_its_deployment_runs_with_container_defaults(
    service: str, tmp_path: Path
) -> None:
    module, _, prefix = SERVICES[service]
    lines = _run_entrypoint(tmp_path, service, **{f"{prefix}GRPC_PORT": "6000"})
    assert lines[:2] == ["-m", module]
    assert f"{prefix}GRPC_HOST=0.0.0.0" in lines
    assert f"{prefix}GRPC_PORT=6000" in lines  # what the environment says wins
    assert f"{prefix}LOG_FORMAT=json" in lines


def test_entrypoint_check_imports_the_service_package_and_refuses_no_service(tmp_path: Path) -> None:
    assert _run_entrypoint(tmp_path, "interaction-log", "--check")[:2] == [
        "-c",
        "import vaxel_interaction_log.__main__",
    ]
    result = subprocess.run(
        ["/bin/sh", str(ENTRYPOINT)],
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "VAXEL_SERVICE" in result.stderr


def test_dockerignore_keeps_the_context_small() -> None:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert lines[lines.index("**")] == "**"  # everything out, then only what the image needs back in
    assert {"!pyproject.toml", "!libs/", "!services/", "!deploy/docker/entrypoint.sh"} <= set(lines)
