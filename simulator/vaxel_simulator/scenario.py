"""The demo world, pure: client companies, their queues, the provider's sites and agents, and how
customers arrive (a time-varying Poisson process following each company's local time of day).

Simulated time can run faster than real time (``speed``): arrival rates follow the simulated local
clock, and handle times and patience shrink by the same factor, so a day's curve passes in minutes.
The platform itself runs on real time: what it measures is what the simulated people did.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

__all__ = ["AgentPlan", "QueuePlan", "SitePlan", "TenantPlan", "arrival_rate", "demo_world", "next_arrival"]

VOICE, CHAT, EMAIL, SOCIAL = 1, 2, 3, 4


@dataclass(frozen=True, slots=True)
class QueuePlan:
    name: str
    channels: tuple[int, ...]
    language: str
    skill: str
    target_percent: float = 80.0
    threshold_seconds: int = 20
    peak_per_second: float = 1.0  # arrivals per real second at the local daily peak (speed 1)
    aht_seconds: float = 240.0
    patience_seconds: float = 90.0


@dataclass(frozen=True, slots=True)
class TenantPlan:
    name: str
    country: str
    time_zone: str
    languages: tuple[str, ...]
    queues: tuple[QueuePlan, ...]
    phone_prefix: str


@dataclass(frozen=True, slots=True)
class SitePlan:
    site_id: str
    time_zone: str
    opens_hour: int
    closes_hour: int

    def working(self, at: datetime) -> bool:
        hour = at.astimezone(ZoneInfo(self.time_zone)).hour
        if self.opens_hour < self.closes_hour:
            return self.opens_hour <= hour < self.closes_hour
        return hour >= self.opens_hour or hour < self.closes_hour


@dataclass(frozen=True, slots=True)
class AgentPlan:
    name: str
    site: SitePlan
    languages: tuple[str, ...]
    tenants: tuple[str, ...]  # tenant names the agent is certified for
    skills: tuple[str, ...]
    accept_probability: float = 0.92
    reject_probability: float = 0.04  # the rest of the offers go unanswered


@dataclass(frozen=True, slots=True)
class World:
    tenants: tuple[TenantPlan, ...]
    sites: tuple[SitePlan, ...]
    agents: tuple[AgentPlan, ...] = field(default_factory=tuple)


def demo_world(agents_per_site: int = 6) -> World:
    tenants = (
        TenantPlan(
            "Nordtel",
            "SE",
            "Europe/Stockholm",
            ("sv-SE", "en-GB"),
            (
                QueuePlan("Mobilsupport", (VOICE, CHAT), "sv-SE", "telecom", peak_per_second=1.2),
                QueuePlan("Fakturor", (EMAIL,), "sv-SE", "billing", 80, 4 * 3600, 0.3, 300, 86_400),
            ),
            "+46",
        ),
        TenantPlan(
            "Kaufhaus Adler",
            "DE",
            "Europe/Berlin",
            ("de-DE",),
            (QueuePlan("Bestellungen", (VOICE, CHAT), "de-DE", "retail", 85, 30, 1.0, 200),),
            "+49",
        ),
        TenantPlan(
            "Cloudwise",
            "US",
            "America/New_York",
            ("en-US",),
            (QueuePlan("Tech Support", (CHAT, VOICE), "en-US", "software", 80, 60, 0.9, 420, 180),),
            "+1",
        ),
        TenantPlan(
            "Southern Cross Air",
            "AU",
            "Australia/Sydney",
            ("en-AU",),
            (QueuePlan("Bookings", (VOICE, SOCIAL), "en-AU", "airline", 80, 20, 0.8, 300),),
            "+61",
        ),
    )
    sites = (
        SitePlan("stockholm", "Europe/Stockholm", 7, 22),
        SitePlan("berlin", "Europe/Berlin", 7, 22),
        SitePlan("manila", "Asia/Manila", 0, 23),
        SitePlan("sydney", "Australia/Sydney", 6, 22),
    )
    skills_of = {q.skill for t in tenants for q in t.queues}
    coverage = {
        "stockholm": (("Nordtel", "Kaufhaus Adler"), ("sv", "de", "en")),
        "berlin": (("Kaufhaus Adler", "Nordtel"), ("de", "en")),
        "manila": (("Cloudwise", "Southern Cross Air", "Nordtel"), ("en",)),
        "sydney": (("Southern Cross Air", "Cloudwise"), ("en",)),
    }
    agents = []
    for site in sites:
        tenants_served, languages = coverage[site.site_id]
        for n in range(agents_per_site):
            agents.append(
                AgentPlan(
                    f"{site.site_id}-{n + 1:02d}", site, languages, tenants_served, tuple(sorted(skills_of))
                )
            )
    return World(tenants, sites, tuple(agents))


def daily_curve(local_hour: float) -> float:
    """Share of the daily peak at a local hour: quiet at night, peaks late morning and after lunch."""
    if local_hour < 6 or local_hour >= 23:
        return 0.03
    morning = math.exp(-(((local_hour - 10.5) / 2.2) ** 2))
    afternoon = 0.8 * math.exp(-(((local_hour - 14.5) / 2.5) ** 2))
    evening = 0.3 * math.exp(-(((local_hour - 19.5) / 1.5) ** 2))
    return max(0.05, min(1.0, morning + afternoon + evening))


def arrival_rate(queue: QueuePlan, tenant: TenantPlan, at: datetime, scale: float = 1.0) -> float:
    """Arrivals per real second now, for simulated instant ``at``."""
    local = at.astimezone(ZoneInfo(tenant.time_zone))
    weekend = 0.5 if local.weekday() >= 5 else 1.0
    return queue.peak_per_second * scale * weekend * daily_curve(local.hour + local.minute / 60)


def next_arrival(rng: random.Random, rate: float, cap: float = 5.0) -> float:
    """Real seconds to the next arrival of a Poisson process with ``rate`` (re-evaluated each arrival:
    the rate changes slowly against the gaps, a thinning-free approximation)."""
    if rate <= 0:
        return cap
    return min(cap, rng.expovariate(rate))
