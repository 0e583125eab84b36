"""``python -m vaxel_interaction_log``: run the interaction-log service."""

from __future__ import annotations

from vaxel.events.v1 import events_pb2
from vaxel.interactions.v1 import interactions_pb2, interactions_pb2_grpc
from vaxel_common.service import ServiceRuntime, run_main
from vaxel_common.topics import AGENT_EVENTS, INTERACTION_EVENTS
from vaxel_interaction_log import SERVICE_NAME
from vaxel_interaction_log.adapters.servicers import InteractionLogServicer
from vaxel_interaction_log.adapters.store import EventStore
from vaxel_interaction_log.settings import InteractionLogSettings


def build(settings: InteractionLogSettings) -> ServiceRuntime:
    runtime = ServiceRuntime(SERVICE_NAME, settings)
    store = EventStore(settings.sqlite_path)

    async def handle(event: events_pb2.Event) -> None:
        store.add(event)

    async def flush() -> None:
        store.flush()  # one short transaction per batch; SQLite stays on the loop's thread

    async def close() -> None:
        store.close()

    runtime.consume([INTERACTION_EVENTS.name, AGENT_EVENTS.name], handle, flush=flush)
    runtime.on_stop(close)
    runtime.grpc.add(
        interactions_pb2_grpc.add_InteractionLogServiceServicer_to_server,
        InteractionLogServicer(store),
        interactions_pb2.DESCRIPTOR.services_by_name["InteractionLogService"].full_name,
    )
    return runtime


if __name__ == "__main__":
    raise SystemExit(run_main(SERVICE_NAME, InteractionLogSettings, build))
