"""The onboarding file: the example is valid; every mistake is reported naming its field; the
references by name become the tenant service's model."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from vaxel_cli.errors import SpecError, UsageError
from vaxel_cli.spec import ALL_SCOPES, TenantSpec, load_spec, parse_spec
from vaxel_vocabulary.business_hours import MIDNIGHT, is_open
from vaxel_vocabulary.contact_points import ContactKind
from vaxel_vocabulary.content import TenantLimits
from vaxel_vocabulary.model import AfterHoursAction, Channel

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "nordtel.yaml"


@pytest.fixture
def data() -> dict[str, Any]:
    loaded = yaml.safe_load(EXAMPLE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def problems(data: object) -> list[str]:
    with pytest.raises(SpecError) as err:
        parse_spec(data, "test.yaml")
    assert err.value.exit_code == 2
    return err.value.problems


def minimal(**queue: object) -> dict[str, Any]:
    return {
        "tenant": {"name": "T", "country": "SE", "time_zone": "Europe/Stockholm", "languages": ["sv-SE"]},
        "skills": [{"name": "s"}],
        "queues": [{"name": "Q", "channels": ["voice"], "language": "sv-SE", **queue}],
    }


class TestTheExample:
    def test_is_valid(self) -> None:
        spec = load_spec(EXAMPLE)
        assert spec.tenant.name == "Nordtel AB"
        assert [q.name for q in spec.queues] == ["Mobilsupport", "Bredband", "Fakturor", "English Support"]
        assert spec.api_key.scopes == list(ALL_SCOPES)

    def test_durations_and_defaults(self) -> None:
        spec = load_spec(EXAMPLE)
        mobil, bredband = spec.queues[0], spec.queues[1]
        assert [t.threshold for t in mobil.service_level_targets] == [20, 45]
        assert mobil.callback_offer_after == 180
        assert [r.after for r in mobil.overflow_rules] == [120, 360]
        assert spec.queues[2].service_level_targets[0].threshold == 4 * 3600
        assert bredband.time_zone == ""  # the tenant's zone, filled in by queue_drafts
        assert bredband.short_abandon_threshold == 5
        assert spec.contract is not None
        assert spec.contract.effective_from == date(2026, 1, 1)

    def test_queue_drafts_refer_by_name(self) -> None:
        drafts = {q.name: q for q in load_spec(EXAMPLE).queue_drafts()}
        assert drafts["Bredband"].time_zone == "Europe/Stockholm"
        assert drafts["English Support"].time_zone == "Europe/London"
        assert drafts["Bredband"].after_hours_action is AfterHoursAction.OVERFLOW
        assert drafts["Bredband"].after_hours_queue_id == "Mobilsupport"
        assert drafts["Mobilsupport"].overflow_rules[1].to_queue_id == "English Support"
        assert [r.skill_id for r in drafts["English Support"].required_skills] == ["english", "mobil"]
        assert drafts["Mobilsupport"].channels == (Channel.VOICE, Channel.CHAT)

    def test_business_hours_become_the_services_own(self) -> None:
        hours = load_spec(EXAMPLE).queues[0].business_hours
        assert hours is not None
        domain = hours.to_domain("Europe/Stockholm")
        assert [len(day) for day in domain.weekly] == [1, 1, 1, 1, 1, 1, 0]  # mon-fri, sat; sun closed
        assert domain.holidays_country == "SE"
        stockholm = ZoneInfo("Europe/Stockholm")
        assert is_open(domain, datetime(2026, 5, 4, 9, 0, tzinfo=stockholm))  # a Monday
        assert not is_open(domain, datetime(2026, 5, 1, 9, 0, tzinfo=stockholm))  # May Day, a holiday
        assert is_open(domain, datetime(2026, 12, 24, 12, 0, tzinfo=stockholm))  # its own hours
        assert not is_open(domain, datetime(2026, 12, 24, 14, 0, tzinfo=stockholm))

    def test_contact_points(self) -> None:
        points = load_spec(EXAMPLE).queues[0].contact_points
        assert [(p.kind, p.address) for p in points] == [
            (ContactKind.PHONE_NUMBER, "08-465 004 00"),
            (ContactKind.PHONE_NUMBER, "+46 31 390 06 00"),
            (ContactKind.CHAT_WIDGET, "nordtel-mobil"),
        ]


class TestMistakesNameTheField:
    def test_tenant_fields(self, data: dict[str, Any]) -> None:
        data["tenant"].update(country="se", time_zone="Europe/Stokholm", languages=["sv_SE"])
        found = problems(data)
        assert any(p.startswith("tenant.country: ") for p in found)
        assert "tenant.time_zone: unknown IANA time zone 'Europe/Stokholm'" in found
        assert any(p.startswith("tenant.languages: not a BCP 47 language tag") for p in found)

    def test_missing_and_unknown_fields(self, data: dict[str, Any]) -> None:
        del data["queues"][1]["language"]
        data["queues"][0]["chanels"] = ["voice"]
        found = problems(data)
        assert "queues[1].language: required" in found
        assert any(p.startswith("queues[0].chanels: unknown field") for p in found)

    def test_unknown_channel(self, data: dict[str, Any]) -> None:
        data["queues"][2]["channels"] = ["email", "fax"]
        (found,) = problems(data)
        assert found.startswith("queues[2].channels[1]: Input should be 'voice', 'chat'")

    def test_duration(self, data: dict[str, Any]) -> None:
        data["queues"][0]["service_level_targets"][1]["threshold"] = "45 secs"
        (found,) = problems(data)
        assert found.startswith(
            "queues[0].service_level_targets[1].threshold: expected seconds or a duration"
        )

    def test_days_and_shifts(self, data: dict[str, Any]) -> None:
        data["queues"][0]["business_hours"]["weekly"] = {"mon-fry": ["08:00-17:00"]}
        data["queues"][1]["business_hours"]["weekly"] = {"mon": ["8-17"]}
        data["queues"][2]["business_hours"]["weekly"] = {"mon-fri": ["09:00-17:00"], "fri": ["09:00-12:00"]}
        data["queues"][3]["business_hours"]["weekly"] = {"tue": ["09:00-12:00", "11:00-18:00"]}
        found = problems(data)
        assert any(p.startswith("queues[0].business_hours.weekly: unknown day 'mon-fry'") for p in found)
        assert any(p.startswith("queues[1].business_hours.weekly.mon[0]: shift '8-17'") for p in found)
        assert any(p.startswith("queues[2].business_hours.weekly: 'fri' repeats a day") for p in found)
        assert (
            "queues[3].business_hours: weekly.tuesday: shift starting 11:00 overlaps the one before" in found
        )

    def test_holiday_calendar(self, data: dict[str, Any]) -> None:
        data["queues"][3]["business_hours"]["holidays_subdivision"] = "XYZ"
        assert problems(data) == [
            "queues[3].business_hours: holidays_subdivision: 'XYZ' is not a subdivision of GB"
        ]

    def test_references_by_name(self, data: dict[str, Any]) -> None:
        data["queues"][0]["required_skills"][0]["skill"] = "mobile"
        data["queues"][1]["after_hours"]["overflow_queue"] = "Mobil"
        data["queues"][2]["name"] = "Bredband"
        data["skills"].append({"name": "english"})
        found = problems(data)
        assert "queues[0].required_skills[0].skill: unknown skill 'mobile': list it under skills" in found
        assert "queues[1].after_hours.overflow_queue: no queue of that name in this file" in found
        assert "queues[2].name: 'Bredband' is given twice" in found
        assert "skills[4].name: 'english' is given twice" in found

    def test_queue_rules_of_the_tenant_service(self, data: dict[str, Any]) -> None:
        data["queues"][2]["service_level_targets"][0]["channel"] = "voice"  # Fakturor serves e-mail only
        data["queues"][0]["overflow_rules"][1]["after"] = "1m"  # earlier than the rule before
        found = problems(data)
        assert "queues[2].service_level_targets[0].channel: the queue does not serve this channel" in found
        assert "queues[0].overflow_rules[1].after: must be above 0 and later than the rule before" in found

    def test_contact_points(self, data: dict[str, Any]) -> None:
        points = data["queues"][0]["contact_points"]
        points[0] = {"phone": 84650040}  # unquoted in YAML
        points[1] = {"phone": "+46 31 1"}
        points.append({"email": "a@nordtel.example", "phone": "+46 8 465 004 01"})
        points.append({"chat_widget": "nordtel-mobil"})  # the same widget as points[2]
        data["queues"][1]["contact_points"].append({"hashtag": "not a tag"})
        found = problems(data)
        assert any(
            p.startswith("queues[0].contact_points[0].phone: write the phone number in quotes") for p in found
        )
        assert any(p.startswith("queues[0].contact_points[3]: exactly one of phone, email") for p in found)
        # the cross-field rules run once the structure is right
        del points[3]
        points[0] = {"phone": "08-465 004 00"}
        found = problems(data)
        assert "queues[0].contact_points[1].phone: not a valid phone number for its country" in found
        assert (
            "queues[0].contact_points[3].chat_widget: the same address as queues[0].contact_points[2].chat_widget"
            in found
        )
        assert "queues[1].contact_points[1].hashtag: not a valid hashtag" in found

    def test_local_numbers_read_in_the_tenants_country(self, data: dict[str, Any]) -> None:
        data["tenant"]["country"] = "GB"
        assert problems(data) == [  # 08-465 004 00 and 040-628 04 00 are no British numbers
            "queues[0].contact_points[0].phone: not a valid phone number for its country",
            "queues[1].contact_points[0].phone: not a valid phone number for its country",
        ]
        data["queues"][0]["contact_points"][0]["country"] = "SE"
        data["queues"][1]["contact_points"][0]["country"] = "SE"
        parse_spec(data)

    def test_contract(self, data: dict[str, Any]) -> None:
        data["contract"]["currency"] = "kronor"
        data["contract"]["rates"].append({"channel": "voice", "unit": "per_interaction", "amount_minor": 5})
        found = problems(data)
        assert "contract.currency: ISO 4217 code expected, e.g. 'SEK'; got 'kronor'" in found

    def test_contract_limits(self, data: dict[str, Any]) -> None:
        data["contract"]["limits"] = {"submissions_per_second": 20, "burst": -1}
        assert problems(data) == ["contract.limits.burst: between 0 (the default) and 1,000,000"]
        data["contract"]["limits"]["burst"] = 40
        spec = parse_spec(data)
        assert spec.contract is not None
        assert spec.contract.to_domain("t").limits == TenantLimits(20.0, 40, 0)

    def test_not_a_mapping_and_not_yaml(self, tmp_path: Path) -> None:
        assert problems(["a list"])[0].startswith("Input should be a valid dictionary")
        bad = tmp_path / "bad.yaml"
        bad.write_text("tenant: [\n")
        with pytest.raises(SpecError) as err:
            load_spec(bad)
        assert err.value.problems[0].startswith("line 2, column 1: not valid YAML")
        with pytest.raises(UsageError, match="cannot read"):
            load_spec(tmp_path / "missing.yaml")

    def test_the_message_says_nothing_was_created(self, data: dict[str, Any]) -> None:
        data["queues"][0]["channels"] = []
        with pytest.raises(SpecError) as err:
            parse_spec(data, "nordtel.yaml")
        assert err.value.lines[0] == (
            "error: nordtel.yaml is not a valid onboarding file (1 problem); nothing was created:"
        )
        assert err.value.lines[1].startswith("  queues[0].channels: List should have at least 1 item")


class TestSmallForms:
    @pytest.mark.parametrize(
        ("written", "seconds"),
        [(20, 20), ("20", 20), ("20s", 20), ("3m", 180), ("4h", 14400), ("1h30m", 5400), ("1h 30m 5s", 5405)],
    )
    def test_durations(self, written: object, seconds: int) -> None:
        spec = TenantSpec.model_validate(minimal(callback_offer_after=written))
        assert spec.queues[0].callback_offer_after == seconds

    def test_day_ranges_and_the_end_of_the_day(self) -> None:
        spec = TenantSpec.model_validate(
            minimal(business_hours={"weekly": {"Monday-wed": ["00:00-24:00"], "sat-sun": ["22:00-24:00"]}})
        )
        hours = spec.queues[0].business_hours
        assert hours is not None
        weekly = hours.to_domain("Europe/Stockholm").weekly
        assert [len(day) for day in weekly] == [1, 1, 1, 0, 0, 1, 1]
        assert weekly[0][0].start == time(0)
        assert weekly[0][0].end == MIDNIGHT
        assert problems(minimal(business_hours={"weekly": {"fri-mon": ["09:00-10:00"]}}))[0].endswith(
            "day range 'fri-mon' runs backwards"
        )
        assert problems(minimal(business_hours={"weekly": {"mon": ["09:00-00:00"]}}))[0].endswith(
            "the end of the day is written 24:00"
        )

    def test_scopes_are_checked(self) -> None:
        data = minimal()
        data["api_key"] = {"scopes": ["config:read", "admin"]}
        assert problems(data)[0].startswith("api_key.scopes[1]: Input should be 'config:read'")


class TestTheDocs:
    def test_the_reference_in_docs_cli_md_is_a_valid_file(self) -> None:
        text = (EXAMPLE.parents[1] / "cli.md").read_text()
        block = text.split("## The onboarding file", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
        spec = parse_spec(yaml.safe_load(block), "docs/cli.md")
        kinds = {p.kind for q in spec.queues for p in q.contact_points}
        assert kinds == set(ContactKind)  # every kind of address is shown
