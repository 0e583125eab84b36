"""What ``make bench`` leaves behind in ``results/bench/`` (ignored by git): ``bench.json`` (schema in
docs/bench.md), ``bench.md`` (the same as markdown tables) and ``latency_vs_load.png``."""

from __future__ import annotations

import json
import os
import platform
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["SCHEMA_VERSION", "Results"]

SCHEMA_VERSION = 1
_PLOTTED = (
    ("submit", "submit (gRPC)"),
    ("submit_to_offer", "submit -> offer at the desk"),
    ("offer_to_accept", "offer -> accept confirmed"),
    ("submit_to_wrapped_up", "submit -> wrapped up"),
    ("submit_to_logged", "submit -> in the interaction log"),
    ("submit_to_sla_counted", "submit -> counted by SLA"),
)


@dataclass
class Results:
    quick: bool = False
    figures: list[dict[str, Any]] = field(default_factory=list)
    e2e: dict[str, Any] | None = None
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def add(self, section: str, name: str, value: float | None, unit: str, note: str = "") -> None:
        """One figure of a service's benchmark (``value`` None: not measured, ``note`` says why)."""
        self.figures.append(
            {
                "section": section,
                "name": name,
                "value": value if value is None else round(float(value), 3),
                "unit": unit,
                "note": note,
            }
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "started_at": self.started_at,
            "quick": self.quick,
            "machine": {
                "cpus": os.cpu_count(),
                "python": sys.version.split()[0],
                "platform": platform.platform(),
                "load_average_1m": round(os.getloadavg()[0], 2),
            },
            "figures": self.figures,
            "e2e": self.e2e,
        }

    def write(self, out: Path) -> str:
        """Write bench.json, bench.md and (with end-to-end results) latency_vs_load.png into ``out``;
        returns the markdown."""
        out.mkdir(parents=True, exist_ok=True)
        data = self.as_dict()
        (out / "bench.json").write_text(json.dumps(data, indent=2) + "\n")
        text = markdown(data)
        (out / "bench.md").write_text(text)
        if self.e2e is not None and self.e2e.get("steps"):
            plot(self.e2e, out / "latency_vs_load.png")
        return text


def _ms(entry: dict[str, Any], q: str) -> str:
    value = entry.get(q)
    return "-" if value is None else f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def markdown(data: dict[str, Any]) -> str:
    lines = [f"# make bench, {data['started_at']}", ""]
    machine = data["machine"]
    lines.append(
        f"{machine['cpus']} CPUs, Python {machine['python']}, load average {machine['load_average_1m']} at the start"
        + (" (quick run: short steps, not figures to quote)" if data["quick"] else "")
    )
    if data["figures"]:
        lines += [
            "",
            "## Services",
            "",
            "| section | figure | value | unit | note |",
            "|---|---|---:|---|---|",
        ]
        for f in data["figures"]:
            value = (
                "-"
                if f["value"] is None
                else f"{f['value']:,.3g}"
                if abs(f["value"]) < 10
                else f"{f['value']:,.0f}"
            )
            lines.append(f"| {f['section']} | {f['name']} | {value} | {f['unit']} | {f['note']} |")
    e2e = data.get("e2e")
    if e2e:
        lines += _e2e_markdown(e2e, machine["cpus"] or 1)
    return "\n".join(lines) + "\n"


def _e2e_markdown(e2e: dict[str, Any], cpus: int) -> list[str]:
    steps = e2e["steps"]
    lines = [
        "",
        "## End to end",
        "",
        "Throughput per stage (per second) over each step's measuring window:",
        "",
    ]
    stages = ("submitted", "offered", "accepted", "ended", "wrapped_up", "logged", "sla_counted")
    lines.append("| offered rate | kind | " + " | ".join(stages) + " | failed | sustained |")
    lines.append("|---:|---|" + "---:|" * len(stages) + "---:|---|")
    for s in steps:
        through = s["throughput_per_s"]
        cells = " | ".join(f"{through[k]:,.0f}" for k in stages)
        verdict = "yes" if s["sustained"] else "no: " + "; ".join(s["reasons"])
        lines.append(f"| {s['rate']:g} | {s['kind']} | {cells} | {sum(s['failed'].values())} | {verdict} |")
    lines += ["", "Latency p50 / p95 / p99 (ms):", ""]
    lines.append("| offered rate | " + " | ".join(name for name, _ in _PLOTTED) + " |")
    lines.append("|---:|" + "---|" * len(_PLOTTED))
    for s in steps:
        cells = " | ".join(
            " / ".join(_ms(s["latency_ms"][name], q) for q in ("p50", "p95", "p99")) for name, _ in _PLOTTED
        )
        lines.append(f"| {s['rate']:g} | {cells} |")
    names = [*sorted({n for s in steps for n in s["processes"]} - {"others", "machine"}), "others", "machine"]
    lines += [
        "",
        "CPU (% of one core; the machine has "
        f"{100 * cpus}%) and peak RSS (MB) per process, the rest of the machine (others) and "
        "all of it; max consumer lag (records):",
        "",
    ]
    lines.append("| offered rate | " + " | ".join(names) + " | max lag | records / interaction |")
    lines.append("|---:|" + "---|" * len(names) + "---|---:|")
    for s in steps:
        cells = " | ".join(
            "-"
            if n not in s["processes"]
            else f"{s['processes'][n]['cpu_percent']:.0f}%"
            if "rss_peak_mb" not in s["processes"][n]
            else f"{s['processes'][n]['cpu_percent']:.0f}% / {s['processes'][n]['rss_peak_mb']:.0f}"
            for n in names
        )
        lag = ", ".join(
            f"{service} {max(topics.values()):,.0f}"
            for service, topics in sorted(s["consumer_lag_max"].items())
            if topics
        )
        lines.append(f"| {s['rate']:g} | {cells} | {lag or '-'} | {s['records_per_interaction']:.1f} |")
    raw = e2e["raw_broker"]
    lines += [
        "",
        f"**Highest rate sustained: {e2e['highest_sustained_per_s']:g} interactions/s.** "
        f"Raw broker (plain aiokafka producer + consumer, {raw['record_bytes']:.0f}-byte records): "
        f"{raw['produce_and_consume_per_s']:,.0f} records/s (produce alone {raw['produce_per_s']:,.0f}/s).",
    ]
    ratio = e2e.get("ratio")
    if ratio:
        lines.append(
            f"Ratio: {ratio['interactions_per_s']:g} interactions/s x {ratio['records_per_interaction']:.1f} records "
            f"= {ratio['platform_records_per_s']:,.0f} records/s = **{ratio['value']:.1%}** of the raw broker."
        )
    lines += _cpu_cost_markdown(e2e, cpus)
    for s in steps:
        lines += _profile_markdown(s)
    lines += ["", f"Sustained: {e2e['definitions']['sustained']}", "", e2e["definitions"]["ratio"]]
    return lines


def _cpu_cost_markdown(e2e: dict[str, Any], cpus: int) -> list[str]:
    steps = e2e["steps"]
    names = ["routing", "interaction-log", "sla", "client-tenant", "broker"]
    lines = [
        "",
        "CPU ms per interaction (work done: the mean of the stages' completions), above each process's idle use "
        f"(idle, % of a core: {', '.join(f'{n} {v:g}' for n, v in sorted(e2e['idle_cpu_percent'].items()))}); "
        f"the rate at which that cost would fill all {cpus} cores:",
        "",
        "| offered rate | " + " | ".join(names) + " | platform | bench-client | cores full at |",
        "|---:|" + "---:|" * (len(names) + 3),
    ]
    for s in steps:
        cells = " | ".join(f"{s['processes'].get(n, {}).get('cpu_ms_per_interaction', 0):.1f}" for n in names)
        cost = s["cpu_cost"]
        full = cost["cores_full_at_per_s"]
        alone = cost["cores_full_at_per_s_without_client"]
        lines.append(
            f"| {s['rate']:g} | {cells} | {cost['platform_cpu_ms_per_interaction']:.1f} | "
            f"{cost['client_cpu_ms_per_interaction']:.1f} | {full or '-'}/s ({alone or '-'}/s without the client) |"
        )
    return lines


def _profile_markdown(step: dict[str, Any]) -> list[str]:
    prof = step.get("profile")
    if not prof or not prof.get("samples"):
        return []
    lines = [
        "",
        f"py-spy on {prof['service']} during the {step['rate']:g}/s step: busy {prof['busy_share']:.0%} of the time. "
        "Own: samples in the function itself; on stack: in it or in what it called (the event loop and "
        "entry frames left out):",
        "",
        "| own | function | on stack | function |",
        "|---:|---|---:|---|",
    ]
    own, stack = prof["top_own"], prof["top_on_stack"]
    for i in range(max(len(own), len(stack))):
        left = f"{own[i]['share']:.0%} | `{own[i]['function']}`" if i < len(own) else " | "
        right = f"{stack[i]['share']:.0%} | `{stack[i]['function']}`" if i < len(stack) else " | "
        lines.append(f"| {left} | {right} |")
    return lines


def plot(e2e: dict[str, Any], path: Path) -> None:
    """Latency p50/p95/p99 of each stage against the offered rate (filled markers: sustained)."""
    import matplotlib  # noqa: PLC0415  (heavy; only when writing)

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    steps = sorted(e2e["steps"], key=lambda s: s["rate"])
    fig, axes = plt.subplots(2, 3, figsize=(15, 8), sharex=True)
    for ax, (name, title) in zip(axes.flat, _PLOTTED, strict=True):
        for q, style in (("p50", "o-"), ("p95", "s--"), ("p99", "^:")):
            points = [(s["rate"], s["latency_ms"][name][q], s["sustained"]) for s in steps]
            points = [p for p in points if p[1] is not None]
            if not points:
                continue
            (line,) = ax.plot(
                [p[0] for p in points], [p[1] for p in points], style, label=q, markerfacecolor="none"
            )
            ax.plot(
                [p[0] for p in points if p[2]],
                [p[1] for p in points if p[2]],
                style[0],
                color=line.get_color(),
            )
        ax.set_title(title)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.grid(True, which="both", alpha=0.3)
        ax.set_ylabel("ms")
    for ax in axes[-1]:
        ax.set_xlabel("offered interactions/s")
    axes.flat[0].legend()
    fig.suptitle(
        f"Växel end to end: latency against load (filled: sustained; highest sustained "
        f"{e2e['highest_sustained_per_s']:g}/s)"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
