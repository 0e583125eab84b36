"""The tenant repository in SQL: SQLite in the embedded default, PostgreSQL in production."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from typing import Any

from vaxel_client_tenant.adapters.outbox import OUTBOX_MIGRATIONS
from vaxel_client_tenant.domain.keys import ApiKey
from vaxel_common.db import Database, Migration, migrate
from vaxel_vocabulary.business_hours import BusinessHours, DateException, Shift, business_hours
from vaxel_vocabulary.contact_points import ContactKind, ContactPoint
from vaxel_vocabulary.content import (
    BillingRate,
    BillingUnit,
    CallGuidelines,
    ContractVersion,
    CreditRule,
    FaqEntry,
    TenantLimits,
)
from vaxel_vocabulary.model import (
    AfterHoursAction,
    Channel,
    OverflowRule,
    Queue,
    ServiceLevelFormula,
    ServiceLevelTarget,
    Skill,
    SkillRequirement,
    Tenant,
    TenantStatus,
)

MIGRATIONS = (
    Migration(
        1,
        "tenants and queues",
        (
            "CREATE TABLE tenants ("
            " tenant_id TEXT PRIMARY KEY, name TEXT NOT NULL, country TEXT NOT NULL,"
            " time_zone TEXT NOT NULL, languages TEXT NOT NULL, status TEXT NOT NULL,"
            " created_at TEXT NOT NULL, version INTEGER NOT NULL)",
            "CREATE TABLE queues ("
            " queue_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),"
            " name TEXT NOT NULL, channels TEXT NOT NULL, language TEXT NOT NULL,"
            " time_zone TEXT NOT NULL, priority INTEGER NOT NULL, version INTEGER NOT NULL)",
            "CREATE INDEX queues_by_tenant ON queues (tenant_id, queue_id)",
        ),
    ),
    Migration(
        2,
        "API keys",
        (
            "CREATE TABLE api_keys ("
            " key_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),"
            " scopes TEXT NOT NULL, secret_sha256 TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT)",
            "CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id)",
        ),
    ),
    Migration(
        3,
        "business hours",
        (
            "CREATE TABLE business_hours ("
            " queue_id TEXT PRIMARY KEY REFERENCES queues (queue_id), document TEXT NOT NULL,"
            " version INTEGER NOT NULL)",
        ),
    ),
    Migration(
        4,
        "contact points",
        (
            "CREATE TABLE contact_points ("
            " contact_point_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),"
            " queue_id TEXT NOT NULL REFERENCES queues (queue_id), kind TEXT NOT NULL, address TEXT NOT NULL,"
            " country TEXT NOT NULL, UNIQUE (kind, address))",
            "CREATE INDEX contact_points_by_tenant ON contact_points (tenant_id, queue_id)",
        ),
    ),
    Migration(
        5,
        "skills and queue routing configuration",
        (
            "CREATE TABLE skills ("
            " skill_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),"
            " name TEXT NOT NULL, description TEXT NOT NULL)",
            "CREATE INDEX skills_by_tenant ON skills (tenant_id, name)",
            "ALTER TABLE queues ADD COLUMN routing TEXT NOT NULL DEFAULT '{}'",
        ),
    ),
    Migration(
        6,
        "FAQ, call guidelines, contracts",
        (
            "CREATE TABLE faq_entries ("
            " faq_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),"
            " language TEXT NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL, keywords TEXT NOT NULL)",
            "CREATE INDEX faq_by_tenant ON faq_entries (tenant_id, language)",
            "CREATE TABLE call_guidelines ("
            " queue_id TEXT PRIMARY KEY REFERENCES queues (queue_id), text TEXT NOT NULL, version INTEGER NOT NULL)",
            "CREATE TABLE contract_versions ("
            " tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id), effective_from TEXT NOT NULL,"
            " document TEXT NOT NULL, PRIMARY KEY (tenant_id, effective_from))",
        ),
    ),
    Migration(
        7,
        "data retention per tenant (days; 0: the platform's default)",
        ("ALTER TABLE tenants ADD COLUMN data_retention_days INTEGER NOT NULL DEFAULT 0",),
    ),
)

_TENANT_COLUMNS = (
    "tenant_id, name, country, time_zone, languages, status, created_at, version, data_retention_days"
)
_QUEUE_COLUMNS = "queue_id, tenant_id, name, channels, language, time_zone, priority, version, routing"


class SqlTenantRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        migrate(db, (*MIGRATIONS, *OUTBOX_MIGRATIONS))

    def add_tenant(self, tenant: Tenant) -> None:
        with self._db.transaction():
            self._db.execute(
                f"INSERT INTO tenants ({_TENANT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608  (constant columns)
                (
                    tenant.tenant_id,
                    tenant.name,
                    tenant.country,
                    tenant.time_zone,
                    json.dumps(list(tenant.languages)),
                    tenant.status.value,
                    tenant.created_at.isoformat(),
                    tenant.version,
                    tenant.data_retention_days,
                ),
            )

    def update_tenant(self, tenant: Tenant) -> None:
        with self._db.transaction():
            self._db.execute(
                "UPDATE tenants SET name = ?, country = ?, time_zone = ?, languages = ?, status = ?, version = ?,"
                " data_retention_days = ? WHERE tenant_id = ?",
                (
                    tenant.name,
                    tenant.country,
                    tenant.time_zone,
                    json.dumps(list(tenant.languages)),
                    tenant.status.value,
                    tenant.version,
                    tenant.data_retention_days,
                    tenant.tenant_id,
                ),
            )

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        row = self._db.fetchone(f"SELECT {_TENANT_COLUMNS} FROM tenants WHERE tenant_id = ?", (tenant_id,))  # noqa: S608
        if row is None:
            return None
        return Tenant(
            tenant_id=row[0],
            name=row[1],
            country=row[2],
            time_zone=row[3],
            languages=tuple(json.loads(row[4])),
            status=TenantStatus(row[5]),
            created_at=datetime.fromisoformat(row[6]),
            version=int(row[7]),
            data_retention_days=int(row[8]),
        )

    def add_queue(self, queue: Queue) -> None:
        with self._db.transaction():
            self._db.execute(
                f"INSERT INTO queues ({_QUEUE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
                _queue_row(queue),
            )

    def update_queue(self, queue: Queue) -> None:
        row = _queue_row(queue)
        with self._db.transaction():
            self._db.execute(
                "UPDATE queues SET name = ?, channels = ?, language = ?, time_zone = ?, priority = ?,"
                " version = ?, routing = ? WHERE queue_id = ?",
                (*row[2:], queue.queue_id),
            )

    def delete_queue(self, queue_id: str) -> None:
        with self._db.transaction():
            for table in ("contact_points", "business_hours", "call_guidelines", "queues"):
                self._db.execute(f"DELETE FROM {table} WHERE queue_id = ?", (queue_id,))  # noqa: S608

    def add_skill(self, skill: Skill) -> None:
        with self._db.transaction():
            self._db.execute(
                "INSERT INTO skills (skill_id, tenant_id, name, description) VALUES (?, ?, ?, ?)",
                (skill.skill_id, skill.tenant_id, skill.name, skill.description),
            )

    def skills(self, tenant_id: str) -> list[Skill]:
        rows = self._db.fetchall(
            "SELECT skill_id, tenant_id, name, description FROM skills WHERE tenant_id = ? ORDER BY name",
            (tenant_id,),
        )
        return [Skill(r[0], r[1], r[2], r[3]) for r in rows]

    def get_queue(self, queue_id: str) -> Queue | None:
        row = self._db.fetchone(f"SELECT {_QUEUE_COLUMNS} FROM queues WHERE queue_id = ?", (queue_id,))  # noqa: S608
        return None if row is None else _queue(row)

    def list_queues(self, tenant_id: str, after: str, limit: int) -> list[Queue]:
        rows = self._db.fetchall(
            f"SELECT {_QUEUE_COLUMNS} FROM queues WHERE tenant_id = ? AND queue_id > ?"  # noqa: S608
            " ORDER BY queue_id LIMIT ?",
            (tenant_id, after, limit),
        )
        return [_queue(r) for r in rows]

    def add_key(self, key: ApiKey) -> None:
        with self._db.transaction():
            self._db.execute(
                "INSERT INTO api_keys (key_id, tenant_id, scopes, secret_sha256, created_at, revoked_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    key.key_id,
                    key.tenant_id,
                    json.dumps(sorted(key.scopes)),
                    key.secret_sha256,
                    key.created_at.isoformat(),
                    key.revoked_at.isoformat() if key.revoked_at else None,
                ),
            )

    def update_key(self, key: ApiKey) -> None:
        with self._db.transaction():
            self._db.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE key_id = ?",
                (key.revoked_at.isoformat() if key.revoked_at else None, key.key_id),
            )

    def get_key(self, key_id: str) -> ApiKey | None:
        row = self._db.fetchone(
            "SELECT key_id, tenant_id, scopes, secret_sha256, created_at, revoked_at FROM api_keys WHERE key_id = ?",
            (key_id,),
        )
        if row is None:
            return None
        return ApiKey(
            key_id=row[0],
            tenant_id=row[1],
            scopes=frozenset(json.loads(row[2])),
            secret_sha256=row[3],
            created_at=datetime.fromisoformat(row[4]),
            revoked_at=datetime.fromisoformat(row[5]) if row[5] else None,
        )

    def set_hours(self, queue_id: str, hours: BusinessHours, version: int) -> None:
        with self._db.transaction():
            self._db.execute("DELETE FROM business_hours WHERE queue_id = ?", (queue_id,))
            self._db.execute(
                "INSERT INTO business_hours (queue_id, document, version) VALUES (?, ?, ?)",
                (queue_id, json.dumps(_hours_document(hours)), version),
            )

    def get_hours(self, queue_id: str) -> tuple[BusinessHours, int] | None:
        row = self._db.fetchone(
            "SELECT document, version FROM business_hours WHERE queue_id = ?", (queue_id,)
        )
        if row is None:
            return None
        return _hours_from_document(json.loads(row[0])), int(row[1])

    def add_contact_point(self, point: ContactPoint) -> None:
        with self._db.transaction():
            self._db.execute(
                "INSERT INTO contact_points (contact_point_id, tenant_id, queue_id, kind, address, country)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    point.contact_point_id,
                    point.tenant_id,
                    point.queue_id,
                    point.kind.value,
                    point.address,
                    point.country,
                ),
            )

    def find_contact_point(self, kind: ContactKind, address: str) -> ContactPoint | None:
        row = self._db.fetchone(
            f"SELECT {_POINT_COLUMNS} FROM contact_points WHERE kind = ? AND address = ?",  # noqa: S608
            (kind.value, address),
        )
        return None if row is None else _point(row)

    def contact_points(self, tenant_id: str, queue_id: str) -> list[ContactPoint]:
        rows = self._db.fetchall(
            f"SELECT {_POINT_COLUMNS} FROM contact_points"  # noqa: S608
            " WHERE tenant_id = ? AND (? = '' OR queue_id = ?) ORDER BY kind, address",
            (tenant_id, queue_id, queue_id),
        )
        return [_point(r) for r in rows]

    def delete_contact_point(self, contact_point_id: str) -> None:
        with self._db.transaction():
            self._db.execute("DELETE FROM contact_points WHERE contact_point_id = ?", (contact_point_id,))

    def add_faq(self, entry: FaqEntry) -> None:
        with self._db.transaction():
            self._db.execute(
                "INSERT INTO faq_entries (faq_id, tenant_id, language, question, answer, keywords)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    entry.faq_id,
                    entry.tenant_id,
                    entry.language,
                    entry.question,
                    entry.answer,
                    json.dumps(entry.keywords),
                ),
            )

    def faq(self, tenant_id: str, language: str) -> list[FaqEntry]:
        rows = self._db.fetchall(
            "SELECT faq_id, tenant_id, language, question, answer, keywords FROM faq_entries"
            " WHERE tenant_id = ? AND (? = '' OR language = ?) ORDER BY question",
            (tenant_id, language, language),
        )
        return [FaqEntry(r[0], r[1], r[2], r[3], r[4], tuple(json.loads(r[5]))) for r in rows]

    def delete_faq(self, faq_id: str) -> None:
        with self._db.transaction():
            self._db.execute("DELETE FROM faq_entries WHERE faq_id = ?", (faq_id,))

    def set_guidelines(self, guidelines: CallGuidelines) -> None:
        with self._db.transaction():
            self._db.execute("DELETE FROM call_guidelines WHERE queue_id = ?", (guidelines.queue_id,))
            self._db.execute(
                "INSERT INTO call_guidelines (queue_id, text, version) VALUES (?, ?, ?)",
                (guidelines.queue_id, guidelines.text, guidelines.version),
            )

    def get_guidelines(self, queue_id: str) -> CallGuidelines | None:
        row = self._db.fetchone(
            "SELECT queue_id, text, version FROM call_guidelines WHERE queue_id = ?", (queue_id,)
        )
        return None if row is None else CallGuidelines(row[0], row[1], int(row[2]))

    def add_contract(self, contract: ContractVersion) -> None:
        document = {
            "currency": contract.currency,
            "formula": contract.service_level_formula.value,
            "target_percent": contract.target_percent,
            "threshold_seconds": contract.threshold_seconds,
            "rates": [[r.channel.value, r.unit.value, r.amount_minor] for r in contract.rates],
            "credits": [
                [c.channel.value if c.channel else None, c.below_percent, c.credit_percent, c.amount_minor]
                for c in contract.credits
            ],
            "limits": [
                contract.limits.submissions_per_second,
                contract.limits.burst,
                contract.limits.max_in_flight,
            ],
        }
        with self._db.transaction():
            self._db.execute(
                "DELETE FROM contract_versions WHERE tenant_id = ? AND effective_from = ?",
                (contract.tenant_id, contract.effective_from.isoformat()),
            )
            self._db.execute(
                "INSERT INTO contract_versions (tenant_id, effective_from, document) VALUES (?, ?, ?)",
                (contract.tenant_id, contract.effective_from.isoformat(), json.dumps(document)),
            )

    def contracts(self, tenant_id: str) -> list[ContractVersion]:
        rows = self._db.fetchall(
            "SELECT tenant_id, effective_from, document FROM contract_versions WHERE tenant_id = ?"
            " ORDER BY effective_from",
            (tenant_id,),
        )
        out = []
        for tenant, effective, raw in rows:
            doc = json.loads(raw)
            out.append(
                ContractVersion(
                    tenant_id=tenant,
                    effective_from=date.fromisoformat(effective),
                    currency=doc["currency"],
                    service_level_formula=ServiceLevelFormula(doc["formula"]),
                    target_percent=float(doc["target_percent"]),
                    threshold_seconds=int(doc["threshold_seconds"]),
                    rates=tuple(BillingRate(Channel(c), BillingUnit(u), int(a)) for c, u, a in doc["rates"]),
                    credits=tuple(
                        CreditRule(Channel(c) if c else None, float(b), float(p), int(a))
                        for c, b, p, a in doc.get("credits", [])
                    ),
                    limits=TenantLimits(*doc.get("limits", ())),
                )
            )
        return out


_POINT_COLUMNS = "contact_point_id, tenant_id, queue_id, kind, address, country"


def _point(row: tuple[Any, ...]) -> ContactPoint:
    return ContactPoint(row[0], row[1], row[2], ContactKind(row[3]), row[4], row[5])


def _shift_pairs(shifts: tuple[Shift, ...]) -> list[list[str]]:
    return [[s.start.strftime("%H:%M"), s.end.strftime("%H:%M")] for s in shifts]


def _shifts(pairs: list[list[str]]) -> list[Shift]:
    return [Shift(time.fromisoformat(a), time.fromisoformat(b)) for a, b in pairs]


def _hours_document(hours: BusinessHours) -> dict[str, object]:
    return {
        "time_zone": hours.time_zone,
        "weekly": [_shift_pairs(day) for day in hours.weekly],
        "holidays_country": hours.holidays_country,
        "holidays_subdivision": hours.holidays_subdivision,
        "exceptions": {e.day.isoformat(): _shift_pairs(e.shifts) for e in hours.exceptions},
    }


def _hours_from_document(doc: dict[str, Any]) -> BusinessHours:
    return business_hours(
        doc["time_zone"],
        {weekday: _shifts(pairs) for weekday, pairs in enumerate(doc["weekly"])},
        doc["holidays_country"],
        doc["holidays_subdivision"],
        [DateException(date.fromisoformat(d), tuple(_shifts(p))) for d, p in doc["exceptions"].items()],
    )


def _queue_row(queue: Queue) -> tuple[object, ...]:
    routing = {
        "required_skills": [[r.skill_id, r.min_proficiency] for r in queue.required_skills],
        "service_level_targets": [
            [t.channel.value, t.target_percent, t.threshold_seconds, t.business_hours_clock]
            for t in queue.service_level_targets
        ],
        "service_level_formula": queue.service_level_formula.value,
        "short_abandon_seconds": queue.short_abandon_seconds,
        "callback_offer_after_seconds": queue.callback_offer_after_seconds,
        "after_hours_action": queue.after_hours_action.value,
        "after_hours_queue_id": queue.after_hours_queue_id,
        "after_hours_message": queue.after_hours_message,
        "overflow_rules": [[r.after_seconds, r.relax_skills, r.to_queue_id] for r in queue.overflow_rules],
    }
    return (
        queue.queue_id,
        queue.tenant_id,
        queue.name,
        json.dumps([c.value for c in queue.channels]),
        queue.language,
        queue.time_zone,
        queue.priority,
        queue.version,
        json.dumps(routing),
    )


def _queue(row: tuple[Any, ...]) -> Queue:
    routing: dict[str, Any] = json.loads(row[8]) if row[8] else {}
    defaults = Queue("", "", "", (), "", "", 0)
    return Queue(
        queue_id=str(row[0]),
        tenant_id=str(row[1]),
        name=str(row[2]),
        channels=tuple(Channel(c) for c in json.loads(str(row[3]))),
        language=str(row[4]),
        time_zone=str(row[5]),
        priority=int(row[6]),
        version=int(row[7]),
        required_skills=tuple(SkillRequirement(s, int(p)) for s, p in routing.get("required_skills", [])),
        service_level_targets=tuple(
            ServiceLevelTarget(Channel(c), float(p), int(t), bool(b))
            for c, p, t, b in routing.get("service_level_targets", [])
        ),
        service_level_formula=ServiceLevelFormula(
            routing.get("service_level_formula", defaults.service_level_formula.value)
        ),
        short_abandon_seconds=int(routing.get("short_abandon_seconds", defaults.short_abandon_seconds)),
        callback_offer_after_seconds=int(routing.get("callback_offer_after_seconds", 0)),
        after_hours_action=AfterHoursAction(
            routing.get("after_hours_action", defaults.after_hours_action.value)
        ),
        after_hours_queue_id=str(routing.get("after_hours_queue_id", "")),
        after_hours_message=str(routing.get("after_hours_message", "")),
        overflow_rules=tuple(
            OverflowRule(int(a), bool(r), str(q)) for a, r, q in routing.get("overflow_rules", [])
        ),
    )
