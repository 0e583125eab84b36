"""``python -m vaxel_simulator`` (``make run``): the main job on the embedded default.

Starts the broker and the services, onboards four client companies in four time zones
through the tenant API, puts agents at four sites on their desks, lets customers arrive by each
company's local time of day, and shows the live view every second. Ctrl-C stops it all and
leaves the data to inspect.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import signal
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.live import Live

from vaxel_common.errors import Unavailable
from vaxel_common.supervisor import Platform
from vaxel_simulator.runner import Simulation
from vaxel_simulator.scenario import demo_world
from vaxel_simulator.view import render


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--speed", type=float, default=60.0, help="simulated seconds per real second (60)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every arrival rate (1)")
    parser.add_argument("--agents-per-site", type=int, default=6)
    parser.add_argument("--duration", type=float, default=None, help="stop after this many real seconds")
    parser.add_argument(
        "--no-view", action="store_true", help="print a summary line instead of the live table"
    )
    parser.add_argument("--data-dir", type=Path, default=Path("var/run"))
    args = parser.parse_args(argv)
    console = Console()
    data_dir = args.data_dir.resolve()
    if data_dir.exists():  # the embedded broker keeps nothing: start every run from a clean slate
        previous = data_dir.with_name(data_dir.name + ".previous")
        shutil.rmtree(previous, ignore_errors=True)
        data_dir.rename(previous)
    platform = Platform(data_dir)
    started = time.monotonic()
    with console.status(f"Starting the embedded broker and {len(platform.services)} services…"):
        try:
            platform.start()
        except Unavailable as exc:
            console.print(f"[red]failed to start: {exc}; logs in {data_dir}[/red]")
            platform.stop()
            return 1
    console.print(f"All {len(platform.services)} services SERVING after {time.monotonic() - started:.1f}s")
    config = platform.write_access_files()
    targets = {name: proc.grpc_target for name, proc in platform.processes.items()}
    sim = Simulation(
        targets,
        platform.admin_key,
        demo_world(args.agents_per_site),
        speed=args.speed,
        scale=args.scale,
    )
    try:
        code = asyncio.run(_simulate(sim, console, platform, args.duration, args.no_view))
    finally:
        console.print("Stopping…")
        codes = platform.stop()
        console.print("Stopped: " + ", ".join(f"{n} exit {c}" for n, c in codes.items()))
    console.print(
        f"\nThe data is left in {data_dir}: service logs (*.log), the tenant store (client-tenant.sqlite3),"
        f" the interaction log (interaction-log.sqlite3), the ops key (admin-key).\n"
        f"While it runs, the CLI reaches it with: vaxel --config {config} ...\n"
        f"Counts: {dict(sim.tally.counts)}"
    )
    return code


async def _simulate(
    sim: Simulation, console: Console, platform: Platform, duration: float | None, no_view: bool
) -> int:
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    with console.status("Onboarding four client companies and their agents…"):
        tenants = await sim.onboard()
        await sim.wait_until_routable()
    console.print(
        "Onboarded: "
        + ", ".join(f"{t.plan.name} ({t.plan.time_zone})" for t in tenants)
        + f"; {len(sim.world.agents)} agents at {len(sim.world.sites)} sites. Ctrl-C stops."
    )
    runner = loop.create_task(sim.run(duration))
    routing_metrics = platform.processes["routing"].metrics_url
    deadline = None if duration is None else time.monotonic() + duration
    try:
        if no_view:
            while not stopping.is_set() and not runner.done():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), timeout=5)
                console.print(f"{sim.sim_now():%a %H:%M} UTC: {dict(sim.tally.counts)}")
        else:
            with Live(await render(sim, routing_metrics), console=console, refresh_per_second=2) as live:
                while not stopping.is_set() and not runner.done():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stopping.wait(), timeout=1)
                    live.update(await render(sim, routing_metrics))
                    if deadline is not None and time.monotonic() > deadline:
                        break
    finally:
        await sim.stop()
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
    return 0


if __name__ == "__main__":
    sys.exit(main())
