"""Creating and reading tenants and queues, with every rule a request must satisfy.

Storage is behind :class:`~vaxel_client_tenant.domain.ports.TenantRepository`
(SQLite or PostgreSQL in the service).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime

from vaxel_client_tenant.domain.ports import TenantRepository
from vaxel_common.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from vaxel_vocabulary.business_hours import BusinessHours, is_open, next_closing, next_opening
from vaxel_vocabulary.contact_points import ContactKind, ContactPoint, new_contact_point
from vaxel_vocabulary.content import (
    CallGuidelines,
    ContractVersion,
    FaqEntry,
    effective_contract,
    validate_contract,
    validate_faq,
    validate_guidelines,
)
from vaxel_vocabulary.limits import MAX_NAME, check_text, excerpt
from vaxel_vocabulary.model import (
    MAX_DATA_RETENTION_DAYS,
    Channel,
    Queue,
    Skill,
    Tenant,
    TenantStatus,
)
from vaxel_vocabulary.pagination import decode_token, encode_token, page_size_of, paginate
from vaxel_vocabulary.queue_rules import validate_queue
from vaxel_vocabulary.validation import validate_country, validate_language, validate_time_zone

UPDATABLE_QUEUE_FIELDS = frozenset(
    {
        "name",
        "channels",
        "language",
        "time_zone",
        "priority",
        "required_skills",
        "service_level_targets",
        "service_level_formula",
        "short_abandon_seconds",
        "callback_offer_after_seconds",
        "after_hours_action",
        "after_hours_queue_id",
        "after_hours_message",
        "overflow_rules",
    }
)


class TenantDirectory:
    """The tenants and queues of the platform."""

    def __init__(
        self, repository: TenantRepository, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._repository = repository
        self._clock = clock

    def create_tenant(self, name: str, country: str, time_zone: str, languages: Sequence[str]) -> Tenant:
        if not check_text("name", name, MAX_NAME).strip():
            raise InvalidArgument("name", "required")
        validate_country("country", country)
        validate_time_zone("time_zone", time_zone)
        if not languages:
            raise InvalidArgument("languages", "at least one language")
        langs = tuple(validate_language("languages", lang) for lang in languages)
        tenant = Tenant(
            tenant_id=str(uuid.uuid4()),
            name=name.strip(),
            country=country,
            time_zone=time_zone,
            languages=langs,
            status=TenantStatus.ACTIVE,
            created_at=self._clock(),
        )
        self._repository.add_tenant(tenant)
        return tenant

    def set_status(self, tenant_id: str, status: TenantStatus) -> Tenant:
        """Suspend or reactivate; the version grows only when the status changes."""
        tenant = self.tenant(tenant_id)
        if tenant.status is not status:
            tenant = replace(tenant, status=status, version=tenant.version + 1)
            self._repository.update_tenant(tenant)
        return tenant

    def set_data_retention(self, tenant_id: str, days: int) -> Tenant:
        """How many days the tenant's interactions are kept after they end (0: the platform's default);
        the version grows only when the setting changes."""
        if not 0 <= days <= MAX_DATA_RETENTION_DAYS:
            raise InvalidArgument("days", f"0 (the platform's default) or 1 to {MAX_DATA_RETENTION_DAYS}")
        tenant = self.tenant(tenant_id)
        if tenant.data_retention_days != days:
            tenant = replace(tenant, data_retention_days=days, version=tenant.version + 1)
            self._repository.update_tenant(tenant)
        return tenant

    def tenant(self, tenant_id: str) -> Tenant:
        tenant = self._repository.get_tenant(tenant_id) if tenant_id else None
        if tenant is None:
            raise NotFound(f"tenant {tenant_id!r} not found")
        return tenant

    def create_queue(
        self,
        tenant_id: str,
        name: str,
        channels: Sequence[Channel],
        language: str,
        time_zone: str,
        priority: int,
    ) -> Queue:
        """A queue with default routing configuration."""
        draft = Queue("", tenant_id, name, tuple(channels), language, time_zone, priority)
        return self.create_configured_queue(tenant_id, draft)

    def create_configured_queue(self, tenant_id: str, draft: Queue) -> Queue:
        """A queue from a full draft (its id, tenant and version are assigned here); validated whole."""
        tenant = self.tenant(tenant_id)
        queue = replace(
            draft,
            queue_id=str(uuid.uuid4()),
            tenant_id=tenant.tenant_id,
            name=draft.name.strip(),
            channels=tuple(dict.fromkeys(draft.channels)),
            time_zone=draft.time_zone or tenant.time_zone,
            version=1,
        )
        validate_queue(queue, self._skill_ids(tenant_id), self._queue_ids(tenant_id))
        self._refuse_taken_queue_name(queue)
        self._repository.add_queue(queue)
        return queue

    def update_queue(self, tenant_id: str, queue_id: str, changes: Queue, fields: Sequence[str]) -> Queue:
        """Take ``fields`` (names of Queue attributes) from ``changes``; validated whole, version + 1."""
        held = self.queue(tenant_id, queue_id)
        if not fields:
            raise InvalidArgument("update_mask", "name at least one field to update")
        unknown = [f for f in fields if f not in UPDATABLE_QUEUE_FIELDS]
        if unknown:
            raise InvalidArgument("update_mask", f"cannot update {unknown[0]!r}")
        updated = replace(held, **{f: getattr(changes, f) for f in fields}, version=held.version + 1)
        if "time_zone" in fields and not updated.time_zone:
            updated = replace(updated, time_zone=self.tenant(tenant_id).time_zone)
        validate_queue(updated, self._skill_ids(tenant_id), self._queue_ids(tenant_id) - {queue_id})
        self._refuse_taken_queue_name(updated)
        self._repository.update_queue(updated)
        return updated

    def _refuse_taken_queue_name(self, queue: Queue) -> None:
        """Queue names are unique within a tenant, ignoring case."""
        taken = (
            q
            for q in self._all_queues(queue.tenant_id)
            if q.queue_id != queue.queue_id and q.name.casefold() == queue.name.strip().casefold()
        )
        if next(taken, None) is not None:
            raise AlreadyExists(f"a queue named {excerpt(queue.name.strip())} exists")

    def delete_queue(self, tenant_id: str, queue_id: str) -> Queue:
        """Delete a queue, its hours and contact points; refused while another queue overflows to it."""
        held = self.queue(tenant_id, queue_id)
        for other in self._all_queues(tenant_id):
            targets = {other.after_hours_queue_id} | {r.to_queue_id for r in other.overflow_rules}
            if other.queue_id != queue_id and queue_id in targets:
                raise FailedPrecondition(f"queue {other.name!r} overflows to this queue")
        self._repository.delete_queue(queue_id)
        return held

    def create_skill(self, tenant_id: str, name: str, description: str = "") -> Skill:
        self.tenant(tenant_id)
        clean = check_text("name", name, MAX_NAME).strip()
        if not clean:
            raise InvalidArgument("name", "required")
        if any(s.name.casefold() == clean.casefold() for s in self._repository.skills(tenant_id)):
            raise AlreadyExists(f"a skill named {excerpt(clean)} exists")
        skill = Skill(str(uuid.uuid4()), tenant_id, clean, description.strip())
        self._repository.add_skill(skill)
        return skill

    def skills(self, tenant_id: str) -> list[Skill]:
        self.tenant(tenant_id)
        return self._repository.skills(tenant_id)

    def skill_page(self, tenant_id: str, page_size: int, page_token: str) -> tuple[list[Skill], str]:
        """One page of the skills catalogue by name."""
        return paginate(self.skills(tenant_id), lambda s: (s.name.lower(), s.skill_id), page_size, page_token)

    def _skill_ids(self, tenant_id: str) -> set[str]:
        return {s.skill_id for s in self._repository.skills(tenant_id)}

    def all_queues(self, tenant_id: str) -> list[Queue]:
        """Every queue of the tenant, ordered by id."""
        self.tenant(tenant_id)
        return self._all_queues(tenant_id)

    def _all_queues(self, tenant_id: str) -> list[Queue]:
        out: list[Queue] = []
        after = ""
        while True:
            page = self._repository.list_queues(tenant_id, after, 1000)
            out += page
            if len(page) < 1000:
                return out
            after = page[-1].queue_id

    def _queue_ids(self, tenant_id: str) -> set[str]:
        return {q.queue_id for q in self._all_queues(tenant_id)}

    def queue(self, tenant_id: str, queue_id: str) -> Queue:
        """A queue of ``tenant_id``; another tenant's queue is NotFound, as a missing one."""
        queue = self._repository.get_queue(queue_id) if queue_id else None
        if queue is None or queue.tenant_id != tenant_id:
            raise NotFound(f"queue {queue_id!r} not found")
        return queue

    def queues(self, tenant_id: str, page_size: int, page_token: str) -> tuple[list[Queue], str]:
        """One page of the tenant's queues ordered by id, and the next page's token ('' at the end)."""
        self.tenant(tenant_id)
        size = page_size_of(page_size)
        after = decode_token(page_token)
        page = self._repository.list_queues(tenant_id, after[0] if after else "", size + 1)
        if len(page) > size:
            return page[:size], encode_token([page[size - 1].queue_id])
        return page, ""

    def set_business_hours(
        self, tenant_id: str, queue_id: str, hours: BusinessHours
    ) -> tuple[BusinessHours, int]:
        """Replace the queue's hours; returns them with their new version."""
        self.queue(tenant_id, queue_id)
        held = self._repository.get_hours(queue_id)
        version = held[1] + 1 if held else 1
        self._repository.set_hours(queue_id, hours, version)
        return hours, version

    def business_hours(self, tenant_id: str, queue_id: str) -> BusinessHours | None:
        """The queue's hours, or None when none are set (the queue is then always open)."""
        self.queue(tenant_id, queue_id)
        held = self._repository.get_hours(queue_id)
        return held[0] if held else None

    def open_state(
        self, tenant_id: str, queue_id: str, at: datetime
    ) -> tuple[bool, datetime | None, datetime | None]:
        """Open at ``at``, next opening, next closing (always open without hours)."""
        hours = self.business_hours(tenant_id, queue_id)
        if hours is None:
            return True, at, None
        return is_open(hours, at), next_opening(hours, at), next_closing(hours, at)

    def add_contact_point(
        self, tenant_id: str, queue_id: str, kind: ContactKind, address: str, country_hint: str = ""
    ) -> ContactPoint:
        """Map an address to a queue; an address already mapped anywhere on the platform is refused."""
        self.queue(tenant_id, queue_id)
        hint = country_hint or self.tenant(tenant_id).country
        point = new_contact_point(tenant_id, queue_id, kind, address, hint)
        if self._repository.find_contact_point(point.kind, point.address) is not None:
            raise InvalidArgument("address", "already in use by a queue")
        self._repository.add_contact_point(point)
        return point

    def contact_points(self, tenant_id: str, queue_id: str = "") -> list[ContactPoint]:
        if queue_id:
            self.queue(tenant_id, queue_id)
        return self._repository.contact_points(tenant_id, queue_id)

    def contact_point_page(
        self, tenant_id: str, queue_id: str, page_size: int, page_token: str
    ) -> tuple[list[ContactPoint], str]:
        """One page of the contact points (of one queue, or all), by kind and address."""
        points = self.contact_points(tenant_id, queue_id)
        return paginate(
            points, lambda p: (p.kind.value, p.address, p.contact_point_id), page_size, page_token
        )

    def delete_contact_point(self, tenant_id: str, contact_point_id: str) -> ContactPoint:
        point = next(
            (p for p in self.contact_points(tenant_id) if p.contact_point_id == contact_point_id), None
        )
        if point is None:
            raise NotFound(f"contact point {contact_point_id!r} not found")
        self._repository.delete_contact_point(contact_point_id)
        return point

    def add_faq(self, draft: FaqEntry) -> FaqEntry:
        self.tenant(draft.tenant_id)
        entry = replace(
            draft,
            faq_id=str(uuid.uuid4()),
            question=draft.question.strip(),
            answer=draft.answer.strip(),
            keywords=tuple(dict.fromkeys(k.strip().lower() for k in draft.keywords)),
        )
        validate_faq(entry)
        self._repository.add_faq(entry)
        return entry

    def faq(self, tenant_id: str, language: str = "") -> list[FaqEntry]:
        self.tenant(tenant_id)
        return self._repository.faq(tenant_id, language)

    def faq_page(
        self, tenant_id: str, language: str, page_size: int, page_token: str
    ) -> tuple[list[FaqEntry], str]:
        """One page of the FAQ (of one language, or all), by question."""
        entries = self.faq(tenant_id, language)
        return paginate(entries, lambda e: (e.question.lower(), e.faq_id), page_size, page_token)

    def delete_faq(self, tenant_id: str, faq_id: str) -> FaqEntry:
        entry = next((e for e in self.faq(tenant_id) if e.faq_id == faq_id), None)
        if entry is None:
            raise NotFound(f"FAQ entry {faq_id!r} not found")
        self._repository.delete_faq(faq_id)
        return entry

    def set_guidelines(self, tenant_id: str, queue_id: str, text: str) -> CallGuidelines:
        self.queue(tenant_id, queue_id)
        validate_guidelines(text)
        held = self._repository.get_guidelines(queue_id)
        guidelines = CallGuidelines(queue_id, text, held.version + 1 if held else 1)
        self._repository.set_guidelines(guidelines)
        return guidelines

    def guidelines(self, tenant_id: str, queue_id: str) -> CallGuidelines:
        self.queue(tenant_id, queue_id)
        return self._repository.get_guidelines(queue_id) or CallGuidelines(queue_id, "", 0)

    def add_contract_version(self, contract: ContractVersion) -> ContractVersion:
        """Record a contract version; one effective from a date already given replaces it."""
        self.tenant(contract.tenant_id)
        validate_contract(contract)
        self._repository.add_contract(contract)
        return contract

    def contract_history(self, tenant_id: str) -> list[ContractVersion]:
        self.tenant(tenant_id)
        return self._repository.contracts(tenant_id)

    def contract_on(self, tenant_id: str, on: date) -> ContractVersion:
        contract = effective_contract(self.contract_history(tenant_id), on)
        if contract is None:
            raise NotFound(f"no contract in force on {on.isoformat()}")
        return contract
