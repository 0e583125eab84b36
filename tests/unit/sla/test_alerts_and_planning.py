"""Alerts (breach, predicted breach, de-duplicated, cleared, rebuilt from their topic), the forecast by
local weekday and time of day across DST, follow-the-sun site cover, and the compliance report."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from vaxel_sla.domain.alerts import AlertBook, AlertKind, Assessment, assess
from vaxel_sla.domain.book import Waiting
from vaxel_sla.domain.intervals import Formula, IntervalStats, Outcome
from vaxel_sla.domain.planning import Site, cover_by_sites, forecast_day, local_intervals, staff

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
NOW = START.timestamp() + 600
F = Formula.ANSWERED_WITHIN_OVER_ANSWERED_AND_ABANDONED


def stats(within: int, late: int) -> IntervalStats:
    s = IntervalStats(20, 5)
    for n in range(within):
        s.add(Outcome(f"w{n}", True, 10))
    for n in range(late):
        s.add(Outcome(f"l{n}", True, 60))
    return s


def judge(
    s: IntervalStats, waiting: Sequence[Waiting] = (), available: int = 5, at: datetime = START
) -> Assessment:
    return assess("t1", "q1", 1, at, s, F, 0.8, waiting, available, NOW, min_contacts=3)


def test_breach_is_raised_once_and_cleared_on_recovery() -> None:
    book = AlertBook()
    breached = judge(stats(2, 2))
    assert breached.breached
    assert not breached.predicted
    raised = book.evaluate([breached], START)
    assert [(c.raised, c.alert.key.kind) for c in raised] == [(True, AlertKind.BREACH)]
    for c in raised:
        book.observe(c.alert, c.raised)
    assert book.evaluate([breached], START) == []  # de-duplicated
    cleared = book.evaluate([judge(stats(9, 2))], START)
    assert [(c.raised, c.alert.alert_id) for c in cleared] == [(False, raised[0].alert.alert_id)]
    for c in cleared:
        book.observe(c.alert, c.raised)
    again = book.evaluate([breached], START)
    assert again[0].alert.alert_id != raised[0].alert.alert_id  # a second raise in the interval is new


def test_a_new_interval_clears_the_old_breach() -> None:
    book = AlertBook()
    for c in book.evaluate([judge(stats(1, 3))], START):
        book.observe(c.alert, c.raised)
    later = START + timedelta(minutes=15)
    changes = book.evaluate([judge(stats(0, 0), at=later)], later)
    assert [c.raised for c in changes] == [False]


def test_too_few_contacts_raise_nothing() -> None:
    assert not judge(stats(0, 2)).breached


def test_predicted_breach_counts_who_will_miss_the_threshold() -> None:
    created = START.timestamp() + 60
    waiting = [
        Waiting("x1", 1, created, None),  # already waited 540 s > 20 s
        Waiting("x2", 1, NOW - 5, NOW + 60),  # routing expects an answer after 65 s
        Waiting("x3", 1, NOW - 1, NOW + 2),  # fine
    ]
    judged = judge(stats(4, 0), waiting)
    assert not judged.breached
    assert judged.predicted
    assert judged.projected_service_level == 4 / 6
    assert not judge(stats(4, 0), waiting[2:]).predicted
    # more waiting than agents available: the newest beyond the agents are expected to miss
    crowd = [Waiting(f"y{n}", 1, NOW - 1, None) for n in range(4)]
    assert judge(stats(4, 0), crowd, available=1).predicted


def test_open_alerts_are_rebuilt_from_the_topic() -> None:
    first = AlertBook()
    changes = first.evaluate([judge(stats(1, 3))], START)
    rebuilt = AlertBook()
    for c in changes:  # what a restarted service reads back from vaxel.sla.alerts.v1
        rebuilt.observe(c.alert, c.raised)
    assert rebuilt.evaluate([judge(stats(1, 3))], START) == []
    assert [a.alert_id for a in rebuilt.for_tenant("t1")] == [changes[0].alert.alert_id]
    assert rebuilt.for_tenant("t2") == []


def test_local_days_have_92_96_or_100_quarter_hours() -> None:
    assert len(local_intervals(date(2026, 3, 29), "Europe/Stockholm", 15)) == 92
    assert len(local_intervals(date(2026, 3, 30), "Europe/Stockholm", 15)) == 96
    assert len(local_intervals(date(2026, 10, 25), "Europe/Stockholm", 15)) == 100
    assert len(local_intervals(date(2026, 10, 25), "Europe/Stockholm", 30)) == 50


def test_forecast_follows_local_weekday_and_time_across_dst() -> None:
    # Mondays 09:00-09:15 Stockholm: 8, 12, 10, 10 calls in the four weeks before 2026-04-06;
    # two of those Mondays were in winter time (08:00 UTC), two in summer time (07:00 UTC)
    arrivals: dict[int, tuple[int, int, int]] = {}
    for monday, calls in zip(
        (date(2026, 3, 9), date(2026, 3, 16), date(2026, 3, 30), date(2026, 3, 23)),
        (8, 12, 10, 10),
        strict=True,
    ):
        local = datetime.combine(monday, time(9, 5)).replace(tzinfo=ZoneInfo("Europe/Stockholm"))
        bucket = int(local.timestamp()) // 900
        arrivals[bucket] = (calls, calls, calls * 240_000)
    plan = forecast_day(arrivals, "Europe/Stockholm", date(2026, 4, 6))
    nine = next(f for f in plan if f.local_start.startswith("2026-04-06T09:00"))
    assert nine.arrivals == 10
    assert nine.aht_seconds == 240
    assert next(f for f in plan if f.local_start.startswith("2026-04-06T10:00")).arrivals == 0
    staffed = staff(plan, minutes=15, target=0.8, threshold_seconds=20)
    nine_staffed = next(f for f in staffed if f.start == nine.start).staffing
    assert nine_staffed is not None
    assert nine_staffed.agents >= 3


def test_follow_the_sun_gives_each_hour_to_the_site_in_its_day() -> None:
    stockholm = Site("sto", "Europe/Stockholm", time(8), time(18))
    sydney = Site("syd", "Australia/Sydney", time(8), time(18), max_agents=3)
    manila = Site("mnl", "Asia/Manila", time(6), time(22))
    day = datetime(2026, 11, 25, tzinfo=UTC)  # a Wednesday
    need = {day + timedelta(hours=h): 5 for h in (0, 11, 21)}
    cover = {c.start.hour: c for c in cover_by_sites(need, [stockholm, sydney, manila])}
    assert cover[0].covered_by == {"syd": 3, "mnl": 2}  # Sydney 11:00 is nearest its midday; capped at 3
    assert cover[11].covered_by == {"sto": 5}  # Stockholm 12:00 (Manila 19:00 is further from its midday)
    assert cover[21].covered_by == {"syd": 3}  # Sydney 08:00 Thursday; Manila 05:00 is closed
    assert cover[21].uncovered == 2


def test_a_wall_time_missing_from_a_history_week_is_skipped_not_read_as_the_next_hour() -> None:
    """Stockholm skipped 02:00-03:00 on Sunday 2026-03-29. Forecasting Sunday 2026-04-05 02:00 from two
    weeks: 03-29 has no 02:00 (its 03:00 calls belong to 03:00), so only 03-22 counts."""
    zone = ZoneInfo("Europe/Stockholm")

    def bucket(day: int, hour: int) -> int:
        return int(datetime(2026, 3, day, hour, tzinfo=zone).timestamp()) // 900

    arrivals = {bucket(22, 2): (4, 4, 4 * 200_000), bucket(29, 3): (10, 10, 10 * 200_000)}
    plan = {
        i.local_start[11:16]: i
        for i in forecast_day(arrivals, "Europe/Stockholm", date(2026, 4, 5), weeks=2, method="seasonal_mean")
    }
    assert plan["02:00"].arrivals == 4  # 03-22 only (the old reading made it (4 + 10) / 2)
    assert plan["03:00"].arrivals == 5  # 03-29's 03:00 over both weeks
