"""The ``vaxel`` command: global options (where the services are, which key), then the command groups."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vaxel_cli.commands import events, interactions, queues, sla, staffing, tenant, webhooks
from vaxel_cli.commands.transcript import transcript_command
from vaxel_cli.connection import exit_with
from vaxel_cli.errors import UsageError
from vaxel_cli.settings import load_cli_settings

__all__ = ["app", "main"]

app = typer.Typer(
    name="vaxel",
    help=(
        "Växel from the command line: onboard client companies, list queues, watch service levels, tail"
        " events, search interactions, read transcripts, plan staffing, register webhooks. A thin client over the platform's gRPC APIs;"
        " see docs/cli.md."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(tenant.app, name="tenant")
app.add_typer(queues.app, name="queues")
app.add_typer(sla.app, name="sla")
app.add_typer(events.app, name="events")
app.add_typer(interactions.app, name="interactions")
app.add_typer(staffing.app, name="staffing")
app.add_typer(webhooks.app, name="webhooks")
app.command("transcript")(transcript_command)


def _target(service: str, env: str) -> object:
    return typer.Option(
        f"--{service}-target", metavar="HOST:PORT", help=f"{service}'s gRPC API (env VAXEL_{env}_TARGET)"
    )


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            metavar="FILE",
            envvar="VAXEL_CLI_CONFIG",
            help="YAML file of settings (the keys below in snake_case) (env VAXEL_CLI_CONFIG)",
        ),
    ] = None,
    client_tenant_target: Annotated[str | None, _target("client-tenant", "CLIENT_TENANT")] = None,
    routing_target: Annotated[str | None, _target("routing", "ROUTING")] = None,
    interaction_log_target: Annotated[str | None, _target("interaction-log", "INTERACTION_LOG")] = None,
    sla_target: Annotated[str | None, _target("sla", "SLA")] = None,
    integrations_target: Annotated[str | None, _target("integrations", "INTEGRATIONS")] = None,
    conversation_target: Annotated[str | None, _target("conversation", "CONVERSATION")] = None,
    kafka_bootstrap: Annotated[
        str | None,
        typer.Option(
            "--kafka-bootstrap",
            metavar="HOST:PORT",
            help="The broker, for events tail (env VAXEL_KAFKA_BOOTSTRAP)",
        ),
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option("--api-key", metavar="KEY", help="A tenant key or the ops key (env VAXEL_API_KEY)"),
    ] = None,
    api_key_file: Annotated[
        Path | None,
        typer.Option(
            "--api-key-file",
            metavar="FILE",
            help="Read the key from a file, e.g. var/run/admin-key (env VAXEL_API_KEY_FILE)",
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout", metavar="SECONDS", help="Deadline of each call (10) (env VAXEL_TIMEOUT_SECONDS)"
        ),
    ] = None,
) -> None:
    """Settings come from these options, then VAXEL_* environment variables, then the --config file."""
    try:
        ctx.obj = load_cli_settings(
            config,
            {
                "client_tenant_target": client_tenant_target,
                "routing_target": routing_target,
                "interaction_log_target": interaction_log_target,
                "sla_target": sla_target,
                "integrations_target": integrations_target,
                "conversation_target": conversation_target,
                "kafka_bootstrap": kafka_bootstrap,
                "api_key": api_key,
                "api_key_file": api_key_file,
                "timeout_seconds": timeout,
            },
        )
    except UsageError as err:
        raise exit_with(err) from None


def main() -> None:
    """The console script ``vaxel``."""
    app(prog_name="vaxel")
