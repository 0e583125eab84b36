"""Contract versions in the SLA service: the version in force on a local date (tenant's zone), each
interval judged by it, contract periods (local months cut at a new version), credits when missed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from vaxel_sla.domain.book import ServiceLevelBook
from vaxel_sla.domain.contracts import (
    ContractBook,
    ContractHistory,
    ContractTerms,
    CreditRule,
    contract_periods,
)
from vaxel_sla.domain.facts import InteractionFact, Step
from vaxel_sla.domain.intervals import Formula
from vaxel_sla.domain.report import compliance_periods, compliance_report
from vaxel_sla.domain.terms import ChannelTarget, QueueTerms, TermsReplica

VOICE, CHAT = 1, 2
ZONE = "Europe/Stockholm"
V1 = ContractTerms(
    date(2026, 3, 1),
    Formula.ANSWERED_WITHIN_OVER_ANSWERED,
    0.8,
    20.0,
    "SEK",
    (CreditRule(0, 80.0, 5.0, 100_00), CreditRule(0, 50.0, 10.0, 500_00), CreditRule(CHAT, 70.0, 7.0)),
)
# From the 16th: a threshold of 60 s (the same calls now meet it), no credit rules.
V2 = ContractTerms(date(2026, 3, 16), Formula.ANSWERED_WITHIN_OVER_ANSWERED, 0.8, 60.0, "SEK")


def stockholm(day: int, hour: int = 0, month: int = 3) -> datetime:
    offset = 1 if (month, day) < (3, 29) else 2  # CET until the last Sunday of March
    return datetime(2026, month, day, hour, tzinfo=UTC) - timedelta(hours=offset)


def queue(history: ContractHistory | None, **kw: object) -> QueueTerms:
    return QueueTerms("t1", "q1", time_zone=ZONE, channels=(VOICE,), contracts=history, **kw)  # type: ignore[arg-type]


def book_with_calls(days: list[int], wait: float) -> ServiceLevelBook:
    """Ten voice calls at 10:00 local on each day, answered after ``wait`` seconds."""
    book = ServiceLevelBook()
    for day in days:
        for n in range(10):
            at = stockholm(day, 10).timestamp() + 30 * n
            iid = f"i-{day}-{n}"
            book.apply(InteractionFact(f"c{iid}", "t1", iid, Step.CREATED, at, queue_id="q1", channel=VOICE))
            book.apply(InteractionFact(f"a{iid}", "t1", iid, Step.CONNECTED, at + wait, agent_id="a1"))
    return book


class TestVersionInForce:
    def test_the_latest_version_on_or_before_the_local_date(self) -> None:
        history = ContractHistory(ZONE, (V1, V2))
        assert history.on(date(2026, 2, 28)) is None
        assert history.on(date(2026, 3, 15)) is V1
        assert history.on(date(2026, 3, 16)) is V2

    def test_the_effective_date_is_read_in_the_tenants_zone(self) -> None:
        history = ContractHistory(ZONE, (V1, V2))
        # 23:30 UTC on the 15th is already 00:30 on the 16th in Stockholm
        assert history.at(datetime(2026, 3, 15, 23, 30, tzinfo=UTC), "UTC") is V2
        assert history.at(datetime(2026, 3, 15, 22, 59, tzinfo=UTC), "UTC") is V1
        # a tenant whose zone is not known yet: the queue's zone
        assert ContractHistory("", (V1, V2)).at(datetime(2026, 3, 15, 23, 30, tzinfo=UTC), "UTC") is V1

    def test_the_book_replaces_a_version_with_the_same_date_and_removes_on_tombstone(self) -> None:
        book = ContractBook()
        assert book.history("t1") is None
        book.put("t1", V2)
        book.put("t1", V1)
        book.put("t1", V1)  # a redelivery changes nothing
        held = book.history("t1")
        assert held is not None
        assert held.versions == (V1, V2)
        book.put(
            "t1", ContractTerms(date(2026, 3, 16), Formula.ANSWERED_WITHIN_OVER_ANSWERED, 0.9, 30, "SEK")
        )
        held = book.history("t1")
        assert held is not None
        assert held.versions[1].target == 0.9
        book.remove("t1", date(2026, 3, 16))
        book.set_zone("t1", ZONE)
        assert book.history("t1") == ContractHistory(ZONE, (V1,))


class TestTermsInForce:
    def test_the_version_sets_the_formula_and_the_default_target(self) -> None:
        terms = queue(ContractHistory(ZONE, (V1, V2)), targets={CHAT: ChannelTarget(0.9, 30.0)})
        before = terms.at(stockholm(1) - timedelta(seconds=1))
        assert before.formula is Formula.ANSWERED_WITHIN_OVER_ANSWERED_AND_ABANDONED  # the queue's
        assert before.target_for(VOICE) == ChannelTarget()
        assert before.contract is None
        march = terms.at(stockholm(10, 12))
        assert march.formula is Formula.ANSWERED_WITHIN_OVER_ANSWERED
        assert march.contract is V1
        assert march.target_for(VOICE) == ChannelTarget(0.8, 20.0)
        assert march.target_for(CHAT) == ChannelTarget(0.9, 30.0)  # the queue's own target stays
        assert terms.at(stockholm(16)).target_for(VOICE).threshold_seconds == 60.0

    def test_the_replica_attaches_the_tenants_history(self) -> None:
        replica = TermsReplica()
        replica.apply_queue(QueueTerms("t1", "q1", time_zone=ZONE, version=1))
        assert replica.get("t1", "q1") == QueueTerms("t1", "q1", time_zone=ZONE, version=1)
        replica.contracts.put("t1", V1)
        terms = replica.get("t1", "q1")
        assert terms is not None
        assert terms.contracts == ContractHistory("", (V1,))


class TestPeriods:
    def test_local_months_cut_where_a_version_takes_effect(self) -> None:
        history = ContractHistory(ZONE, (V1, V2))
        periods = contract_periods(history, "UTC", stockholm(1, month=2), stockholm(1, month=5))
        assert [(p.start, p.end, p.contract) for p in periods] == [
            (stockholm(1, month=2), stockholm(1), None),
            (stockholm(1), stockholm(16), V1),
            (stockholm(16), stockholm(1, month=4), V2),
            (stockholm(1, month=4), stockholm(1, month=5), V2),
        ]

    def test_without_a_contract_months_in_the_queues_zone_clipped_to_the_range(self) -> None:
        periods = contract_periods(None, ZONE, stockholm(20), stockholm(2, month=4))
        assert [(p.start, p.end) for p in periods] == [
            (stockholm(20), stockholm(1, month=4)),
            (stockholm(1, month=4), stockholm(2, month=4)),
        ]


class TestCredits:
    def test_the_rule_with_the_lowest_threshold_the_level_is_under(self) -> None:
        assert V1.credit_for(VOICE, 0.85, 0.8) is None  # met
        assert V1.credit_for(VOICE, None, 0.8) is None  # nothing measured
        credit = V1.credit_for(VOICE, 0.6, 0.8)
        assert credit is not None
        assert credit.rule == CreditRule(0, 80.0, 5.0, 100_00)
        assert credit.currency == "SEK"
        credit = V1.credit_for(VOICE, 0.4, 0.8)
        assert credit is not None
        assert credit.rule.below_percent == 50.0
        credit = V1.credit_for(CHAT, 0.6, 0.8)
        assert credit is not None
        assert credit.rule.channel == CHAT
        assert V1.credit_for(VOICE, 0.7, 0.7) is None  # exactly at the target: met
        assert V2.credit_for(VOICE, 0.1, 0.8) is None  # no rule


class TestReport:
    def test_a_mid_month_version_changes_the_judgement_from_its_date_only(self) -> None:
        book = book_with_calls([10, 20], wait=30.0)  # 30 s: misses 20 s, meets 60 s
        terms = queue(ContractHistory(ZONE, (V1, V2)))
        rows = compliance_periods(
            book, [terms], stockholm(1), stockholm(1, month=4), now=stockholm(2, month=4).timestamp()
        )
        assert [(r.start, r.contract, r.compliance.service_level, r.compliance.met) for r in rows] == [
            (stockholm(1), V1, 0.0, False),
            (stockholm(16), V2, 1.0, True),
        ]
        assert rows[0].credit is not None
        assert rows[0].credit.rule.below_percent == 50.0
        assert rows[1].credit is None
        assert rows[0].compliance.target == 0.8
        assert rows[0].compliance.intervals_with_traffic == 1
        # the whole range: each interval by its own version, the whole by the version at its end
        (whole,) = compliance_report(
            book, [terms], stockholm(1), stockholm(1, month=4), now=stockholm(2, month=4).timestamp()
        )
        assert whole.period.answered_within == 10
        assert whole.intervals_met == 1
        assert whole.intervals_with_traffic == 2

    def test_without_a_contract_the_queues_configuration_judges(self) -> None:
        book = book_with_calls([10], wait=30.0)
        terms = queue(None, targets={VOICE: ChannelTarget(0.8, 40.0)})
        (row,) = compliance_periods(
            book, [terms], stockholm(1), stockholm(1, month=4), now=stockholm(2, month=4).timestamp()
        )
        assert row.contract is None
        assert row.credit is None
        assert row.compliance.met
        assert row.compliance.terms.formula is Formula.ANSWERED_WITHIN_OVER_ANSWERED_AND_ABANDONED

    def test_live_figures_and_sealed_buckets_use_the_version_of_their_date(self) -> None:
        book = book_with_calls([10, 20], wait=30.0)
        terms = queue(ContractHistory(ZONE, (V1, V2)))
        first = book.stats(terms, VOICE, stockholm(10, 10), 15, stockholm(21).timestamp())
        second = book.stats(terms, VOICE, stockholm(20, 10), 15, stockholm(21).timestamp())
        assert (first.answered_within, second.answered_within) == (0, 10)
        book.seal(stockholm(21).timestamp(), [terms], stockholm(21).timestamp())
        sealed = book.stats(terms, VOICE, stockholm(10, 10), 15, stockholm(21).timestamp())
        assert sealed.answered_within == 0
        assert sealed.answered == 10
