"""``vaxel`` against the session platform, as a person would use it: onboard the example company from
YAML, list its queues, watch service levels, tail events, find an interaction, plan staffing; and the
mistakes: a bad file, a wrong key, a service that is not there."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import grpc
import phonenumbers
import pytest
import yaml
from typer.testing import CliRunner, Result

from tests.fixtures.platform import eventually
from vaxel.routing.v1 import routing_pb2, routing_pb2_grpc
from vaxel.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from vaxel.types.v1 import types_pb2
from vaxel_cli.app import app
from vaxel_cli.settings import CliSettings
from vaxel_common.supervisor import Platform

pytestmark = pytest.mark.integration
EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "nordtel.yaml"
T = TypeVar("T")
_rng = random.Random()  # noqa: S311  (unique test addresses, not secrets)


def fresh_number(prefix: str, region: str, digits: int) -> str:
    """A valid number no other test holds (an address belongs to one queue on the whole platform)."""
    while True:
        candidate = prefix + "".join(str(_rng.randrange(10)) for _ in range(digits))
        if phonenumbers.is_valid_number(phonenumbers.parse(candidate, region)):
            return candidate


def fresh_copy(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """The example file with a new company name and addresses of its own."""
    data = yaml.safe_load(EXAMPLE.read_text())
    tag = uuid.uuid4().hex[:8]
    data["tenant"]["name"] = f"Nordtel {tag}"
    for queue in data["queues"]:
        for point in queue["contact_points"]:
            if "phone" in point:
                gb = point["phone"].startswith("+44")
                point["phone"] = fresh_number(
                    "+44 20 7946 " if gb else "08-", "GB" if gb else "SE", 4 if gb else 7
                )
            elif "email" in point:
                point["email"] = f"{tag}-{point['email']}"
            elif "chat_widget" in point:
                point["chat_widget"] = f"{point['chat_widget']}-{tag}"
    path = tmp_path / f"nordtel-{tag}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path, data


@pytest.fixture(scope="module")
def environment(platform: Platform) -> dict[str, str | None]:
    """The CLI's settings as environment variables; the ops key unless a test gives another."""
    env: dict[str, str | None] = {f"VAXEL_{name.upper()}": None for name in CliSettings.model_fields}
    env.update(
        {
            "VAXEL_CLIENT_TENANT_TARGET": platform.processes["client-tenant"].grpc_target,
            "VAXEL_ROUTING_TARGET": platform.processes["routing"].grpc_target,
            "VAXEL_INTERACTION_LOG_TARGET": platform.processes["interaction-log"].grpc_target,
            "VAXEL_SLA_TARGET": platform.processes["sla"].grpc_target,
            "VAXEL_KAFKA_BOOTSTRAP": platform.kafka_bootstrap,
            "VAXEL_API_KEY": platform.admin_key,
            "VAXEL_CLI_CONFIG": None,
        }
    )
    return env


Vaxel = Callable[..., Result]


@pytest.fixture(scope="module")
def vaxel(environment: dict[str, str | None]) -> Vaxel:
    """``vaxel(*args, key=...)`` in-process (typer's CliRunner), stdout and stderr apart."""

    def invoke(*args: str, key: str | None = None) -> Result:
        env = dict(environment)
        if key is not None:
            env["VAXEL_API_KEY"] = key
        return CliRunner().invoke(app, list(args), env=env)

    return invoke


class Onboarded:
    def __init__(self, reply: dict[str, Any], data: dict[str, Any]) -> None:
        self.tenant_id: str = reply["tenant_id"]
        self.key: str = reply["api_key"]
        self.queues: dict[str, str] = reply["queues"]
        self.reply = reply
        self.data = data

    @property
    def metadata(self) -> tuple[tuple[str, str]]:
        return (("authorization", f"Bearer {self.key}"),)


@pytest.fixture(scope="module")
def nordtel(vaxel: Vaxel, tmp_path_factory: pytest.TempPathFactory) -> Onboarded:
    """The example company, onboarded once for this module with the ops key."""
    path, data = fresh_copy(tmp_path_factory.mktemp("cli"))
    del data["queues"][2]["business_hours"]  # Fakturor always open: interactions get queued at any hour
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    result = vaxel("tenant", "onboard", str(path), "--json")
    assert result.exit_code == 0, result.stderr
    return Onboarded(json.loads(result.stdout), data)


class TestOnboarding:
    def test_the_tenant_api_has_what_the_file_says(
        self, nordtel: Onboarded, channels: dict[str, grpc.Channel]
    ) -> None:
        assert nordtel.key.startswith("vx_")
        tenants = tenant_pb2_grpc.TenantServiceStub(channels["client-tenant"])
        config = tenants.GetEffectiveConfiguration(
            tenant_pb2.GetEffectiveConfigurationRequest(), metadata=nordtel.metadata, timeout=10
        )
        assert config.tenant.tenant_id == nordtel.tenant_id
        assert config.tenant.time_zone == "Europe/Stockholm"
        queues = {q.queue.name: q for q in config.queues}
        assert set(queues) == {"Mobilsupport", "Bredband", "Fakturor", "English Support"}
        assert {name: q.queue.queue_id for name, q in queues.items()} == nordtel.queues
        assert queues["English Support"].queue.time_zone == "Europe/London"
        assert queues["Bredband"].queue.time_zone == "Europe/Stockholm"  # the tenant's zone
        skills = {s.name: s.skill_id for s in config.skills}
        assert set(skills) == {"mobil", "bredband", "faktura", "english"}

        mobil = queues["Mobilsupport"]
        hours = mobil.business_hours
        assert [(d.iso_weekday, [(s.start, s.end) for s in d.shifts]) for d in hours.weekly] == [
            *((n, [("08:00", "20:00")]) for n in range(1, 6)),
            (6, [("10:00", "16:00")]),
        ]
        assert hours.holidays_country == "SE"
        assert [(e.date, [(s.start, s.end) for s in e.shifts]) for e in hours.exceptions] == [
            ("2026-12-24", [("09:00", "13:00")]),
            ("2026-12-31", [("09:00", "15:00")]),
        ]
        assert queues["English Support"].business_hours.holidays_subdivision == "ENG"
        assert [
            (t.channel, t.target_percent, t.threshold.seconds) for t in mobil.queue.service_level_targets
        ] == [
            (types_pb2.CHANNEL_VOICE, 80, 20),
            (types_pb2.CHANNEL_CHAT, 85, 45),
        ]
        assert [(r.skill_id, r.min_proficiency) for r in mobil.queue.required_skills] == [
            (skills["mobil"], 2)
        ]
        # references by name became ids, set once every queue existed
        assert [(r.after.seconds, r.relax_skills, r.to_queue_id) for r in mobil.queue.overflow_rules] == [
            (120, True, ""),
            (360, False, nordtel.queues["English Support"]),
        ]
        bredband = queues["Bredband"].queue.after_hours
        assert bredband.action == tenant_pb2.AFTER_HOURS_ACTION_OVERFLOW
        assert bredband.overflow_queue_id == nordtel.queues["Mobilsupport"]

        written = [p["phone"] for p in nordtel.data["queues"][0]["contact_points"] if "phone" in p]
        expected = {
            phonenumbers.format_number(phonenumbers.parse(n, "SE"), phonenumbers.PhoneNumberFormat.E164)
            for n in written
        }
        phones = {p.address for p in mobil.contact_points if p.kind == tenant_pb2.CONTACT_KIND_PHONE_NUMBER}
        assert phones == expected
        english = {(p.kind, p.country) for p in queues["English Support"].contact_points}
        assert (tenant_pb2.CONTACT_KIND_PHONE_NUMBER, "GB") in english
        assert config.contract.currency == "SEK"

    def test_a_bad_file_names_the_field_and_creates_nothing(self, vaxel: Vaxel, tmp_path: Path) -> None:
        path, data = fresh_copy(tmp_path)
        data["queues"][1]["channels"] = ["voice", "fax"]
        data["queues"][0]["business_hours"]["holidays_country"] = "XX"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        result = vaxel("tenant", "onboard", str(path))
        assert result.exit_code == 2
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert lines[0] == f"error: {path} is not a valid onboarding file (2 problems); nothing was created:"
        assert lines[1].startswith(
            "  queues[0].business_hours: holidays_country: no public-holiday calendar for 'XX'"
        )
        assert lines[2].startswith("  queues[1].channels[1]: Input should be 'voice'")
        assert "Traceback" not in result.output

    def test_a_refused_step_says_where_and_what_exists(
        self, vaxel: Vaxel, nordtel: Onboarded, tmp_path: Path
    ) -> None:
        path, data = fresh_copy(tmp_path)
        taken = nordtel.data["queues"][3]["contact_points"][1]["email"]  # English Support's address
        data["queues"][2]["contact_points"][0]["email"] = taken
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        result = vaxel("tenant", "onboard", str(path))
        assert result.exit_code == 1
        lines = result.stderr.splitlines()
        assert lines[0].startswith("error: INVALID_ARGUMENT: address: ")
        assert lines[0].endswith("(onboarding stopped at queues[2].contact_points[0])")
        assert lines[1].startswith("  already created: tenant ")
        assert lines[2].startswith("  already created: API key vx_")  # shown once: not lost


class TestQueues:
    def test_a_tenant_key_lists_its_queues(self, vaxel: Vaxel, nordtel: Onboarded) -> None:
        result = vaxel("queues", "list", key=nordtel.key)
        assert result.exit_code == 0, result.stderr
        assert nordtel.tenant_id in result.stdout
        for name, queue_id in nordtel.queues.items():
            line = next(line for line in result.stdout.splitlines() if queue_id in line)
            assert name in line
        assert "Mon-Fri 08:00-20:00; Sat 10:00-16:00;" in result.stdout
        assert "voice 80% in 20s, chat 85% in 45s" in result.stdout

    def test_ops_name_the_tenant(self, vaxel: Vaxel, nordtel: Onboarded) -> None:
        refused = vaxel("queues", "list")
        assert refused.exit_code == 2
        assert (
            refused.stderr == "error: the ops key acts for every tenant: name one with --tenant TENANT_ID\n"
        )
        listed = vaxel("queues", "list", "--tenant", nordtel.tenant_id, "--json")
        assert listed.exit_code == 0, listed.stderr
        rows = [json.loads(line) for line in listed.stdout.splitlines()]
        assert {r["queue"]["queue_id"] for r in rows} == set(nordtel.queues.values())

    def test_a_wrong_key_is_one_line(self, vaxel: Vaxel) -> None:
        result = vaxel("queues", "list", key="vx_0000_not-a-key")
        assert result.exit_code == 1
        assert result.stdout == ""
        assert result.stderr == "error: UNAUTHENTICATED: invalid or revoked API key\n"

    def test_an_unreachable_service_is_one_line(self, vaxel: Vaxel) -> None:
        result = vaxel("--client-tenant-target", "127.0.0.1:1", "--timeout", "3", "queues", "list")
        assert result.exit_code == 1
        assert len(result.stderr.splitlines()) == 1
        assert result.stderr.startswith("error: UNAVAILABLE: ")


class TestServiceLevels:
    def test_watch_once(self, vaxel: Vaxel, nordtel: Onboarded) -> None:
        result = vaxel("sla", "watch", "--once", key=nordtel.key)
        assert result.exit_code == 0, result.stderr
        lines = result.stdout.splitlines()
        voice = next(line for line in lines if "Mobilsupport" in line)
        assert "voice" in voice
        assert "80.0% in 20s" in voice
        assert any("chat" in line and "85.0% in 45s" in line for line in lines)
        assert any("Fakturor" in line and "email" in line and "90.0% in 4h" in line for line in lines)

    def test_watch_one_queue_as_json(self, vaxel: Vaxel, nordtel: Onboarded) -> None:
        result = vaxel("sla", "watch", "--once", "--json", "--queue", "english support", key=nordtel.key)
        assert result.exit_code == 0, result.stderr
        (stats,) = [json.loads(line) for line in result.stdout.splitlines()]
        assert stats["queue_id"] == nordtel.queues["English Support"]
        assert stats["time_zone"] == "Europe/London"

    def test_alerts(self, vaxel: Vaxel, nordtel: Onboarded) -> None:
        result = vaxel("sla", "alerts", key=nordtel.key)
        assert result.exit_code == 0, result.stderr
        assert result.stdout == "No open alerts.\n"  # a new company has had no traffic


class TestEvents:
    def test_tail_shows_the_onboarding_decoded(self, vaxel: Vaxel, nordtel: Onboarded) -> None:
        args = ("events", "tail", "--topic", "config", "--from-beginning", "--no-follow", "--limit", "6")
        result = vaxel(*args, key=nordtel.key)
        assert result.exit_code == 0, result.stderr
        lines = result.stdout.splitlines()
        assert len(lines) == 6
        for line in lines:
            assert f" tenant.config_changed tenant={nordtel.tenant_id} entity_type=" in line
        every = vaxel(*args[:-2], key=nordtel.key).stdout.splitlines()
        kinds = {line.split("entity_type=")[1].split()[0] for line in every}
        assert {
            "tenant",
            "api_key",
            "contract_version",
            "skill",
            "queue",
            "business_hours",
            "contact_point",
        } <= kinds
        assert (
            sum(f"entity_id={queue_id} " in line for line in every for queue_id in nordtel.queues.values())
            >= 4
        )

    def test_json_masks_the_key_hash(self, vaxel: Vaxel, nordtel: Onboarded) -> None:
        result = vaxel(
            "events", "tail", "-t", "config", "--from-beginning", "--no-follow", "--json", key=nordtel.key
        )
        events = [json.loads(line) for line in result.stdout.splitlines()]
        (key_event,) = [e for e in events if e["tenant_config_changed"]["entity_type"] == "api_key"]
        assert key_event["topic"] == "vaxel.tenants.config.v1"
        assert key_event["tenant_config_changed"]["state"]["secret_sha256"] == "***"  # noqa: S105

    def test_a_tenant_key_sees_only_its_own(
        self, vaxel: Vaxel, nordtel: Onboarded, platform: Platform
    ) -> None:
        other = vaxel(
            "events",
            "tail",
            "-t",
            "config",
            "--from-beginning",
            "--no-follow",
            "--tenant",
            "someone-else",
            key=nordtel.key,
        )
        assert other.exit_code == 1
        assert other.stderr == "error: PERMISSION_DENIED: the key is not valid for that tenant\n"
        ops = vaxel(
            "events", "tail", "-t", "config", "--from-beginning", "--no-follow", "--tenant", nordtel.tenant_id
        )
        own = vaxel("events", "tail", "-t", "config", "--from-beginning", "--no-follow", key=nordtel.key)
        assert sorted(ops.stdout.splitlines()) == sorted(own.stdout.splitlines())  # partitions interleave
        assert ops.stdout


@pytest.fixture(scope="module")
def submitted(nordtel: Onboarded, channels: dict[str, grpc.Channel]) -> str:
    """An e-mail to Fakturor, submitted through routing with Nordtel's key; its interaction id."""
    routing = routing_pb2_grpc.RoutingServiceStub(channels["routing"])
    request = routing_pb2.SubmitInteractionRequest(
        queue_id=nordtel.queues["Fakturor"],
        channel=types_pb2.CHANNEL_EMAIL,
        language="sv-SE",
        customer_ref="cust-cli-1",
        contact=types_pb2.Contact(email_address="anna.andersson@example.com"),
        subject="Faktura 4711",
        idempotency_key=f"cli-{nordtel.tenant_id}",
    )
    # routing learns of the new queue from the configuration topic
    reply = eventually(lambda: routing.SubmitInteraction(request, metadata=nordtel.metadata, timeout=5))
    return reply.interaction_id


class TestInteractions:
    def test_search_finds_it(self, vaxel: Vaxel, nordtel: Onboarded, submitted: str) -> None:
        def found() -> list[dict[str, Any]]:
            result = vaxel(
                "interactions", "search", "--queue", "fakturor", "--from", "1h", "--json", key=nordtel.key
            )
            assert result.exit_code == 0, result.stderr
            rows = [json.loads(line) for line in result.stdout.splitlines()]
            assert [r["interaction_id"] for r in rows] == [submitted]
            return rows

        (row,) = eventually(found)
        assert row["customer_ref"] == "cust-cli-1"  # the key may read it (interactions:read)
        assert row["queue_id"] == nordtel.queues["Fakturor"]
        assert row["subject"] == "Faktura 4711"
        table = vaxel("interactions", "search", key=nordtel.key)
        assert submitted in table.stdout
        assert "1 interactions from" in table.stdout
        assert vaxel("interactions", "search", "--queue", "Bredband", "--json", key=nordtel.key).stdout == ""

    def test_show_and_export(self, vaxel: Vaxel, nordtel: Onboarded, submitted: str, tmp_path: Path) -> None:
        shown = eventually(lambda: _ok(vaxel("interactions", "show", submitted, key=nordtel.key)))
        assert "interaction.created" in shown.stdout
        assert "cust-cli-1" in shown.stdout
        target = tmp_path / "export.csv"
        exported = vaxel("interactions", "export", "--format", "csv", "-o", str(target), key=nordtel.key)
        assert exported.exit_code == 0, exported.stderr
        assert exported.stderr == f"1 interactions exported to {target}\n"
        header, row = target.read_text().splitlines()
        assert header.startswith("interaction_id,")
        assert row.startswith(submitted)
        jsonl = vaxel("interactions", "export", "--format", "jsonl", key=nordtel.key)
        assert json.loads(jsonl.stdout)["interaction_id"] == submitted
        missing = vaxel("interactions", "show", "no-such-interaction", key=nordtel.key)
        assert (missing.exit_code, missing.stderr) == (1, "error: NOT_FOUND: interaction not found\n")

    def test_tail_masks_the_customer(self, vaxel: Vaxel, nordtel: Onboarded, submitted: str) -> None:
        result = vaxel(
            "events", "tail", "-t", "interactions", "--type", "interaction.created", "--from-beginning", "--no-follow",
            key=nordtel.key,
        )  # fmt: skip
        (line,) = [line for line in result.stdout.splitlines() if submitted in line]
        assert "channel=email" in line
        # Routing seals them (customer reference, contact, subject); the sealed form is masked too.
        assert (
            "personal.key_id=*** personal.nonce=b'***' personal.ciphertext=b'***' customer_pseudonym=***"
            in line
        )
        for personal in ("anna.andersson", "cust-cli-1", "4711"):
            assert personal not in result.stdout


def _ok(result: Result) -> Result:
    assert result.exit_code == 0, result.stderr
    return result


class TestStaffing:
    def test_the_plan_has_every_interval_of_the_day(self, vaxel: Vaxel, nordtel: Onboarded) -> None:
        today = datetime.now(UTC).astimezone(ZoneInfo("Europe/Stockholm")).date().isoformat()
        result = vaxel(
            "staffing",
            "plan",
            "--queue",
            "Mobilsupport",
            "--date",
            today,
            "--shrinkage",
            "0.3",
            "--json",
            key=nordtel.key,
        )
        assert result.exit_code == 0, result.stderr
        plan = json.loads(result.stdout)
        assert plan["queue_id"] == nordtel.queues["Mobilsupport"]
        assert plan["time_zone"] == "Europe/Stockholm"
        assert 92 <= len(plan["intervals"]) <= 100  # 15-minute intervals of a local day (DST: 23 or 25 h)
        assert plan["intervals"][0]["local_start"].startswith(f"{today}T00:00")
        table = vaxel(
            "staffing", "plan", "-q", nordtel.queues["Mobilsupport"], "--date", today, key=nordtel.key
        )
        assert f"{len(plan['intervals'])} intervals;" in table.stdout
        bad = vaxel("staffing", "plan", "-q", "Mobilsupport", "--date", "tomorrow", key=nordtel.key)
        assert bad.exit_code == 2
        assert "'tomorrow': expected YYYY-MM-DD" in bad.stderr


def test_the_console_script_onboards_a_company(environment: dict[str, str | None], tmp_path: Path) -> None:
    """The installed ``vaxel`` as a process: human output, the key printed once."""
    spec = tmp_path / "tiny.yaml"
    spec.write_text(
        "tenant: {name: Tiny AB, country: SE, time_zone: Europe/Stockholm, languages: [sv-SE]}\n"
        "queues:\n  - {name: Support, channels: [voice], language: sv-SE}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAXEL_")}
    env.update({k: v for k, v in environment.items() if v is not None})
    script = Path(sys.executable).with_name("vaxel")
    result = subprocess.run(
        [str(script), "tenant", "onboard", str(spec)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Onboarded Tiny AB (SE, Europe/Stockholm)" in result.stdout
    assert "API key    vx_" in result.stdout
    assert "shown only this once" in result.stdout
    assert "always open" in result.stdout


def test_the_platform_writes_a_config_file_the_cli_reaches_it_with(
    platform: Platform, nordtel: Onboarded
) -> None:
    """``make run`` / ``make platform`` write ``vaxel.yaml``: no addresses to copy by hand."""
    config = platform.write_access_files()
    env: dict[str, str | None] = {f"VAXEL_{name.upper()}": None for name in CliSettings.model_fields}
    env["VAXEL_CLI_CONFIG"] = str(config)
    result = CliRunner().invoke(app, ["queues", "list", "--tenant", nordtel.tenant_id], env=env)
    assert result.exit_code == 0, result.stderr
    assert all(queue_id in result.stdout for queue_id in nordtel.queues.values()), result.stdout
