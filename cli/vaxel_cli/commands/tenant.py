"""``vaxel tenant``: onboarding a client company from a YAML file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from vaxel_cli.commands._common import JsonOption, settings_of
from vaxel_cli.connection import Connection, exit_with, run
from vaxel_cli.errors import CliError
from vaxel_cli.output import channel_name, console, emit_json

if TYPE_CHECKING:
    from vaxel_cli.onboarding import Onboarded
    from vaxel_cli.spec import TenantSpec

app = typer.Typer(help="Client companies: onboard one from a YAML file.", no_args_is_help=True)


@app.command("onboard")
def onboard_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The onboarding file (see docs/examples/nordtel.yaml).")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only check the file (nothing is sent to the platform).")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Create a tenant with its API key, contract, skills, queues (zones, business hours, public holidays,
    service-level targets, overflow) and contact points, as the file describes. Needs the ops key.
    Prints the tenant id and the new API key: the key is shown this once."""
    # Imported here: the tenant service's rules load calendars and phone metadata, which the other
    # commands (and ``vaxel --help``) need not wait for.
    from vaxel_cli.onboarding import onboard  # noqa: PLC0415  (see above)
    from vaxel_cli.spec import load_spec  # noqa: PLC0415

    try:
        spec = load_spec(file)
    except CliError as err:
        raise exit_with(err) from None
    if dry_run:
        points = sum(len(q.contact_points) for q in spec.queues)
        console().print(
            f"{file} is valid: {spec.tenant.name}, {len(spec.skills)} skills, {len(spec.queues)} queues,"
            f" {points} contact points. Nothing was sent."
        )
        return
    settings = settings_of(ctx)

    async def work(connection: Connection) -> Onboarded:
        return await onboard(
            connection.channel("client-tenant"), connection.metadata, spec, timeout=connection.timeout
        )

    result = run(settings, work)
    if json_output:
        emit_json(
            {
                "tenant_id": result.tenant_id,
                "name": result.tenant.name,
                "key_id": result.key_id,
                "api_key": result.api_key,
                "skills": result.skills,
                "queues": {name: q.queue_id for name, q in result.queues.items()},
                "contact_points": [
                    {"address": p.address, "queue_id": p.queue_id, "country": p.country}
                    for p in result.contact_points
                ],
            }
        )
        return
    _print_onboarded(spec, result)


def _print_onboarded(spec: TenantSpec, result: Onboarded) -> None:
    out = console()
    out.print(
        f"Onboarded [bold]{result.tenant.name}[/bold] ({result.tenant.country}, {result.tenant.time_zone})"
    )
    out.print(f"  tenant id  {result.tenant_id}")
    out.print(f"  API key    {result.api_key}")
    out.print(
        "             [yellow]shown only this once: store it now (e.g. export VAXEL_API_KEY=...)[/yellow]"
    )
    if result.contract is not None:
        out.print(f"  contract   from {result.contract.effective_from} in {result.contract.currency}")
    table = Table("queue", "queue id", "channels", "time zone", "hours", "contact points")
    for queue_spec in spec.queues:
        queue = result.queues[queue_spec.name]
        hours = result.business_hours.get(queue_spec.name)
        holidays = (
            f", holidays {hours.holidays_country}" if hours is not None and hours.holidays_country else ""
        )
        table.add_row(
            queue.name,
            queue.queue_id,
            ", ".join(channel_name(c) for c in queue.channels),
            queue.time_zone,
            f"{len(hours.weekly)} days a week{holidays}" if hours is not None else "always open",
            ", ".join(p.address for p in result.contact_points if p.queue_id == queue.queue_id) or "-",
        )
    out.print(table)
