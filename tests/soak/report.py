"""What ``make soak`` leaves in ``results/soak/`` (ignored by git): ``soak.json`` (the report of
:func:`tests.soak.run.soak`) and ``soak.md`` (the same as tables)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

__all__ = ["markdown", "write"]

_COUNTS = ("lost", "duplicated", "double_assigned", "unfinished", "mismatched", "log_mismatched",
           "sla_mismatched", "not_dead_lettered", "forged_accepted")  # fmt: skip


def _errors(errors: dict[str, int]) -> str:
    return ", ".join(f"{label} {n}" for label, n in errors.items()) or "none"


def _slow(waited: dict[str, float]) -> str:
    return ", ".join(f"{name} {s:g}" for name, s in waited.items() if s >= 0.5) or ""


def markdown(report: dict[str, Any]) -> str:
    settings = report["settings"]
    history = report["history"]
    lines = [
        f"# Soak, seed {report['seed']}",
        "",
        f"{report['started_at']}, {os.cpu_count()} cores; {settings['seconds']:g} s of load at "
        f"{settings['rate']:g} chats/s over {settings['tenants']} tenants x {settings['agents_per_tenant']} "
        f"agents; {report['submitted']} submissions acknowledged, {report['wrapped_up_at_desks']} wrapped up "
        f"at the desks ({report['unconfirmed_at_desks']} not confirmed there); {report['injected_records']} "
        "poison and forged records injected.",
        "",
        "| fault | at (s) | held (s) | recovery (s) | not SERVING after it (s) | client errors in the outage "
        "(action:code count) |",
        "|---|---|---|---|---|---|",
    ]
    for fault in report["faults"]:
        lines.append(
            f"| {fault['fault']} | {fault['at_seconds']} | {fault['hold_seconds'] or ''} | "
            f"{fault['recovery_seconds']} | {_slow(fault['waited_for_serving_seconds'])} | "
            f"{_errors(fault['client_errors'])} |"
        )
    lines += [
        "",
        f"Client errors outside every fault: {_errors(report['client_errors_outside_faults'])}.",
        "",
        "| history check | count |",
        "|---|---|",
        *(f"| {name.replace('_', ' ')} | {history[name]} |" for name in _COUNTS),
        "",
    ]
    for kind, examples in history["examples"].items():
        lines.append(f"- {kind}: " + "; ".join(examples))
    return "\n".join(lines) + "\n"


def write(report: dict[str, Any], out: Path) -> Path:
    """Write ``soak.json`` and ``soak.md`` into ``out``; returns the markdown's path."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "soak.json").write_text(json.dumps(report, indent=2) + "\n")
    path = out / "soak.md"
    path.write_text(markdown(report))
    return path
