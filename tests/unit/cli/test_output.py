"""What people read: spans, percentages, business hours in one cell, the live service-level table."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from rich.console import Console

from vaxel.sla.v1 import sla_pb2
from vaxel.tenant.v1 import tenant_pb2
from vaxel.types.v1 import types_pb2
from vaxel_cli.commands.queues import hours_summary
from vaxel_cli.commands.sla import render
from vaxel_cli.output import channel_name, duration, percent, span


class TestFigures:
    def test_span_percent_duration(self) -> None:
        assert [span(s) for s in (0, 20, 180, 14400, 5405)] == ["0s", "20s", "3m", "4h", "1h30m5s"]
        assert percent(0.8) == "80.0%"
        assert percent(None) == "-"
        assert [duration(s) for s in (None, 42, 300, 14400)] == ["-", "42s", "5.0m", "4.0h"]
        assert channel_name(types_pb2.CHANNEL_EMAIL) == "email"


class TestHoursSummary:
    def test_equal_days_run_together(self) -> None:
        def day(n: int, *shifts: tuple[str, str]) -> tenant_pb2.DaySchedule:
            return tenant_pb2.DaySchedule(
                iso_weekday=n, shifts=[tenant_pb2.Shift(start=a, end=b) for a, b in shifts]
            )

        hours = tenant_pb2.BusinessHours(
            weekly=[
                *(day(n, ("08:00", "12:00"), ("13:00", "18:00")) for n in range(1, 6)),
                day(6, ("10:00", "16:00")),
            ],
            holidays_country="AU",
            holidays_subdivision="NSW",
            exceptions=[tenant_pb2.DateException(date="2026-12-24")],
        )
        assert hours_summary(hours) == (
            "Mon-Fri 08:00-12:00, 13:00-18:00; Sat 10:00-16:00; closed on AU-NSW holidays; 1 special dates"
        )
        gap = tenant_pb2.BusinessHours(weekly=[day(1, ("09:00", "17:00")), day(3, ("09:00", "17:00"))])
        assert hours_summary(gap) == "Mon 09:00-17:00; Wed 09:00-17:00"


class TestServiceLevelTable:
    def test_rows_per_channel_and_a_breach_in_red(self) -> None:
        stats = sla_pb2.QueueStatistics(
            queue_id="q-1", waiting=3, estimated_wait_seconds=40, longest_waiting_seconds=95
        )
        stats.current.add(
            channel=types_pb2.CHANNEL_VOICE,
            offered=10,
            answered=6,
            abandoned=2,
            service_level=0.5,
            target=0.8,
            threshold_seconds=20,
            asa_seconds=31,
        )
        stats.current.add(channel=types_pb2.CHANNEL_CHAT, target=0.85, threshold_seconds=45)
        stats.open_alerts.add(kind=sla_pb2.ALERT_KIND_BREACH, channel=types_pb2.CHANNEL_VOICE)
        quiet = sla_pb2.QueueStatistics(queue_id="q-2")
        out = io.StringIO()
        Console(file=out, width=200, color_system=None).print(
            render([("Mobilsupport", stats), ("Fakturor", quiet)], datetime(2026, 5, 4, 8, 0, tzinfo=UTC))
        )
        text = out.getvalue()
        assert "(SL 1h), 08:00:00 UTC;" in text
        voice = next(line for line in text.splitlines() if "voice" in line)
        cells = [c.strip() for c in voice.split("│")[1:-1]]
        assert cells == [
            "Mobilsupport", "voice", "10", "6", "2", "50.0%", "80.0% in 20s", "31s", "-", "-", "3", "40s", "95s",
            "breach voice",
        ]  # fmt: skip
        chat = next(line for line in text.splitlines() if " chat " in line)
        assert [c.strip() for c in chat.split("│")[1:-1]][5:7] == ["-", "85.0% in 45s"]
        assert any("Fakturor" in line and line.count("-") >= 9 for line in text.splitlines())
        coloured = io.StringIO()
        Console(file=coloured, width=200, force_terminal=True, color_system="standard").print(
            render([("Mobilsupport", stats)])
        )
        assert "\x1b[31m50.0%" in coloured.getvalue()  # below target: red
        assert "\x1b[31m" not in coloured.getvalue().split("chat", 1)[1]  # no level yet: not red
