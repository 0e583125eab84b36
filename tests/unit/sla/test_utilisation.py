"""Occupancy and utilisation of shared agents per agent, site and tenant (issue 18)."""

from __future__ import annotations

from datetime import UTC, datetime

from vaxel_sla.domain.book import ServiceLevelBook
from vaxel_sla.domain.facts import AgentFact, InteractionFact, Step
from vaxel_sla.domain.utilisation import by_site, by_tenant, scoped_to

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC).timestamp()
AVAILABLE, NOT_READY = 2, 6


def handled(book: ServiceLevelBook, tenant: str, n: int, agent: str, start: float, end: float) -> None:
    ident = f"{tenant}-i{n}"
    book.apply(
        InteractionFact(f"{ident}-c", tenant, ident, Step.CREATED, start - 30, queue_id="q", channel=1)
    )
    book.apply(InteractionFact(f"{ident}-a", tenant, ident, Step.CONNECTED, start, agent_id=agent))
    book.apply(InteractionFact(f"{ident}-w", tenant, ident, Step.WRAPPED_UP, end, agent_id=agent))


def shared_book() -> ServiceLevelBook:
    """a1 (site sto) works one hour, 50 minutes available: 20 min for t1, 10 for t2. a2 (site lis)
    works one hour, all available: 30 min for t1."""
    book = ServiceLevelBook()
    book.apply_agent(AgentFact("a1-in", "a1", T0, NOT_READY, "sto"))
    book.apply_agent(AgentFact("a1-av", "a1", T0 + 600, AVAILABLE))
    book.apply_agent(AgentFact("a2-in", "a2", T0 - 600, NOT_READY, "lis"))
    book.apply_agent(AgentFact("a2-av", "a2", T0, AVAILABLE))
    handled(book, "t1", 1, "a1", T0 + 600, T0 + 1800)
    handled(book, "t2", 2, "a1", T0 + 1800, T0 + 2400)
    handled(book, "t1", 3, "a2", T0 + 0, T0 + 1800)
    return book


def test_a_shared_agent_has_a_share_per_tenant() -> None:
    agents = {a.agent_id: a for a in shared_book().agent_utilisation(T0, T0 + 3600, now=T0 + 3600)}
    a1 = agents["a1"]
    assert a1.site_id == "sto"
    assert (a1.figures.logged_in_seconds, a1.figures.available_seconds) == (3600, 3000)
    assert a1.figures.occupancy == 1800 / 3000
    assert a1.tenant_handling_seconds == {"t1": 1200, "t2": 600}
    assert a1.tenant_figures("t1").occupancy == 1200 / 3000
    assert a1.tenant_figures("t2").utilisation == 600 / 3600
    assert agents["a2"].tenant_handling_seconds == {"t1": 1800}


def test_per_site_and_per_tenant() -> None:
    agents = shared_book().agent_utilisation(T0, T0 + 3600, now=T0 + 3600)
    sites = by_site(agents)
    assert sites["sto"].occupancy == 1800 / 3000
    assert sites["lis"].occupancy == 1800 / 3600
    tenants = by_tenant(agents)
    assert tenants["t1"].handling_seconds == 3000
    assert tenants["t1"].available_seconds == 6600  # both agents served t1
    assert tenants["t2"].available_seconds == 3000  # only a1 served t2
    assert tenants["t2"].utilisation == 600 / 3600


def test_a_tenant_sees_only_its_own_share() -> None:
    agents = shared_book().agent_utilisation(T0, T0 + 3600, now=T0 + 3600)
    seen = scoped_to(agents, "t2")
    assert [a.agent_id for a in seen] == ["a1"]
    assert seen[0].tenant_handling_seconds == {"t2": 600}
    assert seen[0].figures.handling_seconds == 600  # not a1's 1800 across tenants


def test_concurrent_chats_of_two_tenants_count_once_for_the_agent() -> None:
    book = ServiceLevelBook()
    book.apply_agent(AgentFact("in", "a1", T0, AVAILABLE, "sto"))
    handled(book, "t1", 1, "a1", T0, T0 + 1200)
    handled(book, "t2", 2, "a1", T0 + 600, T0 + 1800)
    (a1,) = book.agent_utilisation(T0, T0 + 3600, now=T0 + 3600)
    assert a1.figures.handling_seconds == 1800  # union
    assert a1.tenant_handling_seconds == {"t1": 1200, "t2": 1200}
