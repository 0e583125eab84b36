"""Erlang B, C and A against closed forms, limits and the definition of "fewest agents"."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaxel_sla.domain.erlang import agents_for, erlang_a, erlang_b, erlang_c, erlang_c_figures


def test_closed_forms() -> None:
    assert erlang_b(1, 2.0) == pytest.approx(2 / 3)  # A / (1 + A)
    assert erlang_c(1, 0.5) == pytest.approx(0.5)  # M/M/1: P(wait) = rho
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)  # M/M/2, rho = 0.5: 2rho² / (1 + rho)
    one = erlang_c_figures(1, 0.5, aht_seconds=100, threshold_seconds=0)
    assert one.asa_seconds == pytest.approx(100.0)  # M/M/1: Wq = rho / (μ - λ) = 0.5 / (0.01 - 0.005)
    assert one.service_level == pytest.approx(0.5)


def _published_formula(agents: int, traffic: float) -> float:
    """Erlang C exactly as the textbooks print it (powers and factorials), in exact fractions."""
    a = Fraction(traffic)
    top = a**agents / math.factorial(agents) * Fraction(agents) / (agents - a)
    return float(top / (sum(a**k / math.factorial(k) for k in range(agents)) + top))


def test_the_step_by_step_worked_example() -> None:
    """The common step-by-step example: 360 calls per half hour of 4 minutes, 55 agents, 15 s target.
    Traffic 48 Erlangs, occupancy 48/55; the stable recursion agrees with the printed formula."""
    figures = erlang_c_figures(55, 360 * 240 / 1800, aht_seconds=240, threshold_seconds=15)
    assert figures.traffic == pytest.approx(48.0)
    assert figures.occupancy == pytest.approx(48 / 55)
    assert figures.wait_probability == pytest.approx(_published_formula(55, 48.0), rel=1e-9)
    expected_sl = 1 - figures.wait_probability * math.exp(-(55 - 48) * 15 / 240)
    assert figures.service_level == pytest.approx(expected_sl)
    assert figures.asa_seconds == pytest.approx(figures.wait_probability * 240 / 7)


@pytest.mark.parametrize(("agents", "traffic"), [(3, 2.5), (13, 10.0), (28, 24.0), (110, 100.0)])
def test_recursion_matches_the_printed_formula(agents: int, traffic: float) -> None:
    assert erlang_c(agents, traffic) == pytest.approx(_published_formula(agents, traffic), rel=1e-9)


def test_ten_erlangs_at_80_in_20() -> None:
    staffing = agents_for(100, 1800, 180, target_service_level=0.8, threshold_seconds=20)
    assert staffing.traffic == pytest.approx(10.0)
    assert staffing.service_level >= 0.8
    assert erlang_c_figures(staffing.agents - 1, 10.0, 180, 20).service_level < 0.8


def test_hundreds_of_erlangs_are_stable() -> None:
    figures = erlang_c_figures(540, 500.0, 300, 20)
    assert 0 < figures.wait_probability < 1
    assert 0 < figures.service_level <= 1
    staffing = agents_for(6000, 3600, 300, target_service_level=0.9, threshold_seconds=15)
    assert 500 < staffing.agents < 560


@given(st.floats(min_value=0.1, max_value=300), st.integers(min_value=1, max_value=400))
def test_more_agents_never_lower_the_service_level(traffic: float, agents: int) -> None:
    a = erlang_c_figures(agents, traffic, 180, 20)
    b = erlang_c_figures(agents + 1, traffic, 180, 20)
    assert b.service_level >= a.service_level - 1e-12
    assert 0.0 <= a.service_level <= 1.0


@given(st.floats(min_value=1, max_value=2000), st.floats(min_value=30, max_value=900))
def test_agents_for_gives_the_fewest(calls: float, aht: float) -> None:
    staffing = agents_for(calls, 1800, aht, target_service_level=0.8, threshold_seconds=20)
    assert staffing.service_level >= 0.8
    if staffing.agents > 1:
        fewer = erlang_c_figures(staffing.agents - 1, staffing.traffic, aht, 20)
        assert fewer.service_level < 0.8


def test_shrinkage_concurrency_asa_and_occupancy() -> None:
    base = agents_for(100, 1800, 180)
    assert agents_for(100, 1800, 180, shrinkage=0.3).scheduled == math.ceil(base.agents / 0.7)
    assert agents_for(100, 1800, 540, concurrency=3).agents == base.agents  # three chats share an agent
    assert agents_for(100, 1800, 180, max_asa_seconds=5).asa_seconds <= 5
    assert agents_for(100, 1800, 180, max_occupancy=0.7).occupancy <= 0.7
    assert agents_for(0, 1800, 180).agents == 0


def test_erlang_a_tends_to_erlang_c_as_patience_grows() -> None:
    c = erlang_c_figures(13, 10.0, 180, 20)
    a = erlang_a(13, 100 / 1800, 180, patience_seconds=1e7, threshold_seconds=20)
    assert a.wait_probability == pytest.approx(c.wait_probability, abs=1e-3)
    assert a.service_level == pytest.approx(c.service_level, abs=1e-3)
    assert a.abandon_probability == pytest.approx(0.0, abs=1e-3)


def test_erlang_a_abandons_when_understaffed_and_still_defined() -> None:
    a = erlang_a(8, 100 / 1800, 180, patience_seconds=60, threshold_seconds=20)
    assert 0.05 < a.abandon_probability < 0.6  # Erlang C would have no answer at all (10 Erlangs > 8)
    assert 0 < a.service_level < 1
    staffed = agents_for(100, 1800, 180, patience_seconds=60)
    assert staffed.agents <= 13  # patience helps: abandons take load off the queue
    assert staffed.service_level >= 0.8
