"""``python -m vaxel_sla``: run the SLA service."""

from __future__ import annotations

from vaxel.sla.v1 import sla_pb2, sla_pb2_grpc
from vaxel_common.service import ServiceRuntime, run_main
from vaxel_common.topics import INTERACTION_EVENTS
from vaxel_sla import SERVICE_NAME
from vaxel_sla.adapters.events import InteractionEventHandler
from vaxel_sla.adapters.servicers import SlaServicer
from vaxel_sla.domain import OfferedCounts
from vaxel_sla.metrics import SlaMetrics
from vaxel_sla.settings import SlaSettings


def build(settings: SlaSettings) -> ServiceRuntime:
    runtime = ServiceRuntime(SERVICE_NAME, settings)
    counts = OfferedCounts()
    runtime.consume(
        [INTERACTION_EVENTS.name], InteractionEventHandler(counts, SlaMetrics.create(runtime.registry))
    )
    runtime.grpc.add(
        sla_pb2_grpc.add_SlaServiceServicer_to_server,
        SlaServicer(counts),
        sla_pb2.DESCRIPTOR.services_by_name["SlaService"].full_name,
    )
    return runtime


if __name__ == "__main__":
    raise SystemExit(run_main(SERVICE_NAME, SlaSettings, build))
