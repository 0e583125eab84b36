"""The Faust codec of the event envelope."""

from __future__ import annotations

import pytest
from faust.serializers import codecs

from vaxel.events.v1 import events_pb2
from vaxel_common.codec import FAUST_CODEC_NAME, register_faust_codec
from vaxel_common.errors import DecodeError
from vaxel_common.events import new_event


class TestFaustCodec:
    def test_round_trip_through_the_registered_codec(self) -> None:
        register_faust_codec()
        codec = codecs.get_codec(FAUST_CODEC_NAME)
        event = new_event(events_pb2.SurveyAnswered(score=5), tenant_id="t", producer="p", interaction_id="i")
        back = codec.loads(codec.dumps(event))
        assert back == event

    def test_garbage_raises_decode_error(self) -> None:
        register_faust_codec()
        with pytest.raises(DecodeError):
            codecs.get_codec(FAUST_CODEC_NAME).loads(b"\xff\xfe")
