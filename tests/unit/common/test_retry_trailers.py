"""RESOURCE_EXHAUSTED's trailing metadata: the delay as plain milliseconds and as google.rpc.RetryInfo."""

from __future__ import annotations

import grpc
from google.rpc.error_details_pb2 import RetryInfo
from google.rpc.status_pb2 import Status

from vaxel_common.errors import ResourceExhausted
from vaxel_common.grpc_server import RETRY_AFTER_MS, retry_trailers, status_code_of


class TestRetryTrailers:
    def test_the_delay_is_given_both_ways_and_the_status_matches_the_call(self) -> None:
        error = ResourceExhausted("the tenant's submission rate limit (5 per second) is reached", 0.2004)
        assert status_code_of(error) == grpc.StatusCode.RESOURCE_EXHAUSTED
        trailers = dict(retry_trailers(error))
        assert trailers[RETRY_AFTER_MS] == "200"
        status = Status.FromString(trailers["grpc-status-details-bin"])
        # grpc_status.rpc_status.from_call refuses details whose code or message differ from the call's.
        assert (status.code, status.message) == (grpc.StatusCode.RESOURCE_EXHAUSTED.value[0], error.message)
        retry = RetryInfo()
        assert status.details[0].Unpack(retry)
        assert retry.retry_delay.ToMilliseconds() == 200

    def test_a_delay_under_a_millisecond_is_one(self) -> None:
        assert dict(retry_trailers(ResourceExhausted("limit", 0.0)))[RETRY_AFTER_MS] == "1"
