"""gRPC servicer of the interaction query API: convert, delegate to the domain, convert back.

Reads need the ``interactions:read`` scope, erasure and survey answers ``interactions:write``,
the voice-of-the-customer and usage reports ``reports:read`` (survey comments in the report only
with ``interactions:read`` too). Every call is scoped to the caller's tenant (the ops key names
one). Another tenant's interaction is NOT_FOUND, as an unknown one is.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

from google.protobuf.message import Message

from vaxel.interactions.v1 import interactions_pb2, interactions_pb2_grpc
from vaxel_common.auth import caller_tenant, current_principal
from vaxel_common.errors import InvalidArgument
from vaxel_common.grpc_server import Context
from vaxel_interaction_log.adapters.converters import filter_from_pb, record_to_pb
from vaxel_interaction_log.adapters.export import csv_chunk, json_lines_chunk
from vaxel_interaction_log.adapters.report_converters import (
    answer_to_pb,
    granularity_from_pb,
    usage_to_pb,
    voc_granularity_from_pb,
    voc_to_pb,
)
from vaxel_interaction_log.adapters.surveys import SurveyAnswers
from vaxel_interaction_log.domain.queries import InteractionQueries, Privacy
from vaxel_interaction_log.domain.reports import Reports
from vaxel_interaction_log.domain.voc import options
from vaxel_vocabulary.limits import check_instant, check_strings
from vaxel_vocabulary.scopes import INTERACTIONS_READ, INTERACTIONS_WRITE, REPORTS_READ

__all__ = ["INTERACTIONS_READ", "INTERACTIONS_WRITE", "REPORTS_READ", "InteractionLogServicer"]


def _tenant(requested: str, scope: str = INTERACTIONS_READ, request: Message | None = None) -> str:
    """The caller's tenant (``scope`` required); first, every string of ``request`` within its bounds."""
    if request is not None:
        check_strings(request)
    return caller_tenant(requested, scope)


def _when(message: Message, field: str) -> datetime | None:
    return check_instant(field, getattr(message, field)) if message.HasField(field) else None


class InteractionLogServicer(interactions_pb2_grpc.InteractionLogServiceServicer):
    def __init__(
        self, queries: InteractionQueries, privacy: Privacy, *, surveys: SurveyAnswers, reports: Reports
    ) -> None:
        self._queries = queries
        self._privacy = privacy
        self._surveys = surveys
        self._reports = reports

    async def GetInteraction(  # noqa: N802  (gRPC method name)
        self, request: interactions_pb2.GetInteractionRequest, context: Context
    ) -> interactions_pb2.GetInteractionResponse:
        record = self._queries.get(_tenant(request.tenant_id, request=request), request.interaction_id)
        return interactions_pb2.GetInteractionResponse(interaction=record_to_pb(record))

    async def SearchInteractions(  # noqa: N802
        self, request: interactions_pb2.SearchInteractionsRequest, context: Context
    ) -> interactions_pb2.SearchInteractionsResponse:
        tenant_id = _tenant(request.tenant_id, request=request)
        records, token = self._queries.search(
            tenant_id,
            _when(request, "from"),
            _when(request, "to"),
            filter_from_pb(request.filter),
            request.page_size,
            request.page_token,
        )
        return interactions_pb2.SearchInteractionsResponse(
            interactions=[record_to_pb(r, timeline=False) for r in records], next_page_token=token
        )

    async def GetCustomerHistory(  # noqa: N802
        self, request: interactions_pb2.GetCustomerHistoryRequest, context: Context
    ) -> interactions_pb2.GetCustomerHistoryResponse:
        tenant_id = _tenant(request.tenant_id, request=request)
        records, token = self._queries.customer_history(
            tenant_id, request.customer_ref, request.page_size, request.page_token
        )
        return interactions_pb2.GetCustomerHistoryResponse(
            interactions=[record_to_pb(r, timeline=False) for r in records], next_page_token=token
        )

    async def ExportInteractions(  # noqa: N802
        self, request: interactions_pb2.ExportInteractionsRequest, context: Context
    ) -> AsyncIterator[interactions_pb2.ExportInteractionsResponse]:
        tenant_id = _tenant(request.tenant_id, request=request)
        if request.format not in (
            interactions_pb2.EXPORT_FORMAT_CSV,
            interactions_pb2.EXPORT_FORMAT_JSON_LINES,
        ):
            raise InvalidArgument("format", "EXPORT_FORMAT_CSV or EXPORT_FORMAT_JSON_LINES")
        pages = self._queries.export(
            tenant_id, _when(request, "from"), _when(request, "to"), filter_from_pb(request.filter)
        )
        as_csv = request.format == interactions_pb2.EXPORT_FORMAT_CSV
        if as_csv:  # the header even when nothing matches
            yield interactions_pb2.ExportInteractionsResponse(data=csv_chunk([], header=True), rows=0)
        for page in pages:
            data = csv_chunk(page, header=False) if as_csv else json_lines_chunk(page)
            yield interactions_pb2.ExportInteractionsResponse(data=data, rows=len(page))

    async def EraseCustomer(  # noqa: N802
        self, request: interactions_pb2.EraseCustomerRequest, context: Context
    ) -> interactions_pb2.EraseCustomerResponse:
        tenant_id = _tenant(request.tenant_id, INTERACTIONS_WRITE, request)
        erased = await self._privacy.erase_customer(tenant_id, request.customer_ref)
        return interactions_pb2.EraseCustomerResponse(interactions=erased)

    async def RecordSurveyAnswer(  # noqa: N802
        self, request: interactions_pb2.RecordSurveyAnswerRequest, context: Context
    ) -> interactions_pb2.RecordSurveyAnswerResponse:
        tenant_id = _tenant(request.tenant_id, INTERACTIONS_WRITE, request)
        answer = await self._surveys.record(tenant_id, request.interaction_id, request.score, request.comment)
        return answer_to_pb(answer)

    async def GetVoiceOfCustomer(  # noqa: N802
        self, request: interactions_pb2.GetVoiceOfCustomerRequest, context: Context
    ) -> interactions_pb2.GetVoiceOfCustomerResponse:
        tenant_id = _tenant(request.tenant_id, REPORTS_READ, request)
        scopes = current_principal().scopes
        with_comments = INTERACTIONS_READ in scopes or "*" in scopes
        voc_granularity_from_pb(request.granularity)
        opts = options(request.comments_per_row, request.rising_topics_per_row, request.rising_min_count)
        zone, weeks, rows = self._reports.voice_of_customer(
            tenant_id,
            _when(request, "from"),
            _when(request, "to"),
            request.queue_id,
            opts,
            with_comments=with_comments,
        )
        return voc_to_pb(zone, weeks, rows, comments_included=with_comments)

    async def GetUsage(  # noqa: N802
        self, request: interactions_pb2.GetUsageRequest, context: Context
    ) -> interactions_pb2.GetUsageResponse:
        tenant_id = _tenant(request.tenant_id, REPORTS_READ, request)
        granularity = granularity_from_pb(request.granularity)
        zone, report = self._reports.usage(
            tenant_id, _when(request, "from"), _when(request, "to"), granularity
        )
        return usage_to_pb(zone, report)
