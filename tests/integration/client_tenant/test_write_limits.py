"""Fault 3 of issue 17: a write that is refused leaves nothing behind.

On the real gRPC server with SQLite and with PostgreSQL: oversized strings, NUL and control characters,
unknown codes and enum values are INVALID_ARGUMENT naming the field (quoting at most a short excerpt),
duplicate names are ALREADY_EXISTS, and none of them stores or publishes anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest
from google.protobuf import field_mask_pb2

from tests.fixtures.client_tenant import Server, own_client_tenant
from tests.fixtures.platform import tenant_events
from vaxel.tenant.v1 import tenant_pb2
from vaxel.types.v1 import types_pb2
from vaxel_common.supervisor import Platform
from vaxel_common.topics import TENANT_CONFIG
from vaxel_vocabulary.limits import MAX_NAME

pytestmark = pytest.mark.integration
HUGE = "x" * 1_000_000


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, platform: Platform, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    data_dir: Path = tmp_path_factory.mktemp(f"ct-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{data_dir / 'ct.sqlite3'}"
    else:
        cluster = request.getfixturevalue("postgres_cluster")
        url = cluster.create_database()
    with own_client_tenant(platform, data_dir, url) as running:
        yield running


def refused(call: Callable[[], object], code: grpc.StatusCode) -> str:
    """The details of the error ``call`` answers, which must carry ``code``."""
    with pytest.raises(grpc.RpcError) as err:
        call()
    assert err.value.code() == code, err.value.details()
    details = str(err.value.details())
    assert len(details) < 300, "an error never echoes unbounded input"
    return details


def new_tenant(server: Server, name: str) -> str:
    return server.admin.CreateTenant(
        tenant_pb2.CreateTenantRequest(
            name=name, country="SE", time_zone="Europe/Stockholm", languages=["sv"]
        ),
        metadata=server.md,
        timeout=10,
    ).tenant.tenant_id


def new_queue(server: Server, tenant_id: str, name: str) -> tenant_pb2.Queue:
    return server.tenants.CreateQueue(
        tenant_pb2.CreateQueueRequest(
            tenant_id=tenant_id, name=name, channels=[types_pb2.CHANNEL_VOICE], language="sv"
        ),
        metadata=server.md,
        timeout=10,
    ).queue


def published_names(server: Server, tenant_ids: set[str] | None) -> list[str]:
    """Names in every tenant and queue state published on the configuration topic."""
    names = []
    for event in tenant_events(server.platform, TENANT_CONFIG.name, tenant_ids):
        change = event.tenant_config_changed
        state: tenant_pb2.Tenant | tenant_pb2.Queue
        if change.entity_type == "tenant":
            state = tenant_pb2.Tenant()
        elif change.entity_type == "queue":
            state = tenant_pb2.Queue()
        else:
            continue
        if change.state.Unpack(state):
            names.append(state.name)
    return names


class TestOversized:
    def test_create_tenant_with_a_1_mb_name(self, server: Server) -> None:
        before = server.tenant_count()
        details = refused(lambda: new_tenant(server, "Oversized " + HUGE), grpc.StatusCode.INVALID_ARGUMENT)
        assert details.startswith("name:")
        assert server.tenant_count() == before, "nothing stored"
        assert not [n for n in published_names(server, None) if n.startswith("Oversized ")], (
            "nothing published"
        )

    def test_create_queue_with_a_1_mb_name(self, server: Server) -> None:
        tenant_id = new_tenant(server, "Big queue name")
        details = refused(lambda: new_queue(server, tenant_id, HUGE), grpc.StatusCode.INVALID_ARGUMENT)
        assert details.startswith("name:")
        assert server.queue_names(tenant_id) == []
        assert published_names(server, {tenant_id}) == ["Big queue name"], "only the tenant was published"

    def test_update_queue_with_a_1_mb_name(self, server: Server) -> None:
        tenant_id = new_tenant(server, "Big rename")
        queue = new_queue(server, tenant_id, "Support")
        details = refused(
            lambda: server.tenants.UpdateQueue(
                tenant_pb2.UpdateQueueRequest(
                    tenant_id=tenant_id,
                    queue=tenant_pb2.Queue(queue_id=queue.queue_id, name=HUGE),
                    update_mask=field_mask_pb2.FieldMask(paths=["name"]),
                ),
                metadata=server.md,
                timeout=10,
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        assert details.startswith("queue.name:")
        assert server.queue_names(tenant_id) == ["Support"]
        assert sorted(published_names(server, {tenant_id})) == ["Big rename", "Support"]

    def test_a_name_just_within_the_limit_is_kept(self, server: Server) -> None:
        tenant_id = new_tenant(server, "Long names")
        assert new_queue(server, tenant_id, "q" * MAX_NAME).name == "q" * MAX_NAME


class TestCharacters:
    @pytest.mark.parametrize("name", ["Acme\x00Corp", "Acme\x1b[31mCorp", "Acme\nCorp", "Acme\x7f"])
    def test_control_characters_in_a_name(self, server: Server, name: str) -> None:
        before = server.tenant_count()
        details = refused(lambda: new_tenant(server, name), grpc.StatusCode.INVALID_ARGUMENT)
        assert details.startswith("name:")
        assert server.tenant_count() == before

    def test_nul_in_nested_and_repeated_fields(self, server: Server) -> None:
        tenant_id = new_tenant(server, "Nested NUL")
        queue = new_queue(server, tenant_id, "Support")
        config = tenant_pb2.Queue(after_hours=tenant_pb2.AfterHours(message="Closed\x00"))
        details = refused(
            lambda: server.tenants.CreateQueue(
                tenant_pb2.CreateQueueRequest(
                    tenant_id=tenant_id,
                    name="Evening",
                    channels=[types_pb2.CHANNEL_VOICE],
                    language="sv",
                    configuration=config,
                ),
                metadata=server.md,
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        assert details.startswith("configuration.after_hours.message:")
        faq = tenant_pb2.FaqEntry(language="sv", question="Q?", answer="A", keywords=["ok", "bad\x07"])
        details = refused(
            lambda: server.tenants.CreateFaqEntry(
                tenant_pb2.CreateFaqEntryRequest(tenant_id=tenant_id, entry=faq), metadata=server.md
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        assert details.startswith("entry.keywords[1]:")
        refused(
            lambda: server.tenants.SetCallGuidelines(
                tenant_pb2.SetCallGuidelinesRequest(
                    tenant_id=tenant_id, queue_id=queue.queue_id, text="Greet\x00"
                ),
                metadata=server.md,
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        kept = server.tenants.SetCallGuidelines(
            tenant_pb2.SetCallGuidelinesRequest(
                tenant_id=tenant_id, queue_id=queue.queue_id, text="Greet.\n\n- Ask\tthe name"
            ),
            metadata=server.md,
        ).guidelines
        assert kept.version == 1, "line breaks and tabs are fine in long text; the refused write left none"
        assert server.queue_names(tenant_id) == ["Support"]


class TestCodes:
    def test_unknown_country(self, server: Server) -> None:
        details = refused(
            lambda: server.admin.CreateTenant(
                tenant_pb2.CreateTenantRequest(
                    name="Nowhere", country="ZZ", time_zone="Europe/Stockholm", languages=["sv"]
                ),
                metadata=server.md,
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        assert details.startswith("country:")

    def test_unknown_currency(self, server: Server) -> None:
        tenant_id = new_tenant(server, "Bad money")
        version = tenant_pb2.ContractVersion(effective_from="2027-01-01", currency="XYZ", target_percent=80)
        version.threshold.FromSeconds(20)
        details = refused(
            lambda: server.admin.SetContractVersion(
                tenant_pb2.SetContractVersionRequest(tenant_id=tenant_id, version=version), metadata=server.md
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        assert details.startswith("currency:")
        version.currency = "SEK"
        server.admin.SetContractVersion(
            tenant_pb2.SetContractVersionRequest(tenant_id=tenant_id, version=version), metadata=server.md
        )

    @pytest.mark.parametrize(
        ("config", "field"),
        [
            (tenant_pb2.Queue(service_level_formula=99), "configuration.service_level_formula"),  # type: ignore[arg-type]  # an undefined enum number on purpose
            (
                tenant_pb2.Queue(after_hours=tenant_pb2.AfterHours(action=42)),  # type: ignore[arg-type]  # on purpose
                "configuration.after_hours.action",
            ),
        ],
    )
    def test_unknown_enum_values(self, server: Server, config: tenant_pb2.Queue, field: str) -> None:
        tenant_id = new_tenant(server, f"Bad enum {field}")
        details = refused(
            lambda: server.tenants.CreateQueue(
                tenant_pb2.CreateQueueRequest(
                    tenant_id=tenant_id,
                    name="Support",
                    channels=[types_pb2.CHANNEL_VOICE],
                    language="sv",
                    configuration=config,
                ),
                metadata=server.md,
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        assert details.startswith(f"{field}:")
        assert server.queue_names(tenant_id) == []


class TestDuplicates:
    def test_tenant_names_may_repeat(self, server: Server) -> None:
        """Two client companies may share a trade name: the tenant id tells them apart (a retried
        CreateTenant is made safe by its idempotency key, not by the name)."""
        assert new_tenant(server, "Same AB") != new_tenant(server, "same ab")

    def test_queue_names_are_unique_within_a_tenant(self, server: Server) -> None:
        tenant_id = new_tenant(server, "Two queues")
        new_queue(server, tenant_id, "Support")
        other = new_queue(server, tenant_id, "Sales")
        refused(lambda: new_queue(server, tenant_id, "SUPPORT"), grpc.StatusCode.ALREADY_EXISTS)
        refused(
            lambda: server.tenants.UpdateQueue(
                tenant_pb2.UpdateQueueRequest(
                    tenant_id=tenant_id,
                    queue=tenant_pb2.Queue(queue_id=other.queue_id, name="Support"),
                    update_mask=field_mask_pb2.FieldMask(paths=["name"]),
                ),
                metadata=server.md,
            ),
            grpc.StatusCode.ALREADY_EXISTS,
        )
        assert sorted(server.queue_names(tenant_id)) == ["Sales", "Support"]
        assert new_queue(server, new_tenant(server, "Other tenant"), "Support").name == "Support"

    def test_skill_names_are_unique_within_a_tenant(self, server: Server) -> None:
        tenant_id = new_tenant(server, "Skilled")

        def make(name: str) -> tenant_pb2.CreateSkillResponse:
            request = tenant_pb2.CreateSkillRequest(tenant_id=tenant_id, name=name)
            response: tenant_pb2.CreateSkillResponse = server.tenants.CreateSkill(request, metadata=server.md)
            return response

        make("Billing")
        refused(lambda: make("billing"), grpc.StatusCode.ALREADY_EXISTS)


class TestContractLimits:
    """The tenant's limits on submissions into routing (fault 11), set with its contract version."""

    @staticmethod
    def version(limits: tenant_pb2.TenantLimits) -> tenant_pb2.ContractVersion:
        version = tenant_pb2.ContractVersion(
            effective_from="2027-01-01", currency="SEK", target_percent=80, limits=limits
        )
        version.threshold.FromSeconds(20)
        return version

    @pytest.mark.parametrize(
        ("limits", "field"),
        [
            (tenant_pb2.TenantLimits(submissions_per_second=-1), "limits.submissions_per_second"),
            (tenant_pb2.TenantLimits(submissions_per_second=float("nan")), "limits.submissions_per_second"),
            (tenant_pb2.TenantLimits(submissions_per_second=1e9), "limits.submissions_per_second"),
            (tenant_pb2.TenantLimits(burst=2_000_000_000), "limits.burst"),
            (tenant_pb2.TenantLimits(max_in_flight=4_000_000_000), "limits.max_in_flight"),
        ],
    )
    def test_out_of_bounds_is_invalid_argument_naming_the_field(
        self, server: Server, limits: tenant_pb2.TenantLimits, field: str
    ) -> None:
        tenant_id = new_tenant(server, f"Limited {field} {limits.submissions_per_second}")
        details = refused(
            lambda: server.admin.SetContractVersion(
                tenant_pb2.SetContractVersionRequest(tenant_id=tenant_id, version=self.version(limits)),
                metadata=server.md,
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        assert details.startswith(f"{field}:")
        listed = server.tenants.ListContractVersions(
            tenant_pb2.ListContractVersionsRequest(tenant_id=tenant_id), metadata=server.md
        )
        assert not listed.versions, "a refused version is not stored"

    def test_limits_are_stored_and_read_back(self, server: Server) -> None:
        tenant_id = new_tenant(server, "Limited kept")
        limits = tenant_pb2.TenantLimits(submissions_per_second=12.5, burst=25, max_in_flight=7)
        server.admin.SetContractVersion(
            tenant_pb2.SetContractVersionRequest(tenant_id=tenant_id, version=self.version(limits)),
            metadata=server.md,
        )
        listed = server.tenants.ListContractVersions(
            tenant_pb2.ListContractVersionsRequest(tenant_id=tenant_id), metadata=server.md
        )
        assert [v.limits for v in listed.versions] == [limits]
