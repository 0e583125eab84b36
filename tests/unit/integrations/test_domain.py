"""The integrations' pure rules: URLs and addresses, signatures, the retry schedule, cursors, deliveries."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fixtures.webhooks import signature_valid
from vaxel_common.errors import InvalidArgument
from vaxel_integrations.domain.cursor import decode_cursor, encode_cursor
from vaxel_integrations.domain.model import Endpoint, EndpointBook, check_event_types, delivery_id
from vaxel_integrations.domain.retry import RetryPolicy
from vaxel_integrations.domain.signature import new_secret, signature_header, verify
from vaxel_integrations.domain.urls import address_allowed, check_addresses, parse_url

TOPICS = frozenset({"a.events", "b.alerts"})


class TestUrls:
    def test_https_is_accepted_with_its_port(self) -> None:
        parsed = parse_url("https://hooks.example.com:8443/in?x=1", allow_loopback=False)
        assert (parsed.host, parsed.port, parsed.literal_address) == ("hooks.example.com", 8443, False)

    @pytest.mark.parametrize(
        "url",
        [
            "http://hooks.example.com/in",
            "http://127.0.0.1:9000/in",  # loopback, but not allowed here
            "https://localhost/in",
            "https://127.0.0.1/in",
            "ws://hooks.example.com/",
            "https://u:p@hooks.example.com/",
            "https://hooks.example.com/#frag",
            "https://hooks.example.com:99999/",
            "https://hooks.exa mple.com/",
            "https://" + "a" * 3000 + ".com/",
        ],
    )
    def test_refused_without_loopback(self, url: str) -> None:
        with pytest.raises(InvalidArgument) as err:
            parse_url(url, allow_loopback=False)
        assert err.value.field == "url"

    def test_loopback_http_only_where_allowed(self) -> None:
        assert parse_url("http://127.0.0.1:9000/in", allow_loopback=True).port == 9000
        with pytest.raises(InvalidArgument):
            parse_url("http://hooks.example.com/in", allow_loopback=True)

    @pytest.mark.parametrize(
        "address",
        [
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",  # noqa: S104  (an address refused, nothing bound)
            "224.0.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
            "127.0.0.1",
            "not-an-ip",
        ],
    )
    def test_private_and_special_addresses_are_refused(self, address: str) -> None:
        assert not address_allowed(address, allow_loopback=False)

    def test_public_addresses_and_allowed_loopback(self) -> None:
        assert address_allowed("93.184.216.34", allow_loopback=False)
        assert address_allowed("2606:2800:220:1::", allow_loopback=False)
        assert address_allowed("127.0.0.1", allow_loopback=True)
        assert not address_allowed("10.0.0.1", allow_loopback=True)

    def test_one_private_address_among_public_ones_refuses_the_host(self) -> None:
        with pytest.raises(InvalidArgument):
            check_addresses(["93.184.216.34", "10.0.0.1"], allow_loopback=False)
        with pytest.raises(InvalidArgument):
            check_addresses([], allow_loopback=False)


class TestSignature:
    def test_the_documented_verification_accepts_ours(self) -> None:
        secret, body = new_secret(), b'{"event_id":"e1"}'
        header = signature_header(secret, int(time.time()), body)
        assert signature_valid(secret, header, body)  # the README's snippet (tests/fixtures/webhooks.py)
        assert verify(secret, header, body, time.time())

    def test_another_body_secret_or_old_timestamp_fails(self) -> None:
        secret, body, now = new_secret(), b"{}", int(time.time())
        header = signature_header(secret, now, body)
        assert not verify(secret, header, b"{ }", now)
        assert not verify(new_secret(), header, body, now)
        assert not verify(secret, signature_header(secret, now - 3600, body), body, now)
        assert not verify(secret, "garbage", body, now)

    def test_secrets_are_fresh(self) -> None:
        assert new_secret() != new_secret()
        assert new_secret().startswith("whsec_")


class TestRetry:
    policy = RetryPolicy(initial_seconds=10, maximum_seconds=3600, give_up_after_seconds=86_400)

    def test_exponential_with_jitter_between_half_and_all_of_the_step(self) -> None:
        now = 1000.0
        steps = [self.policy.next_attempt(n, now, now, 0.0) for n in (1, 2, 3, 4)]
        assert [s - now for s in steps if s is not None] == [5, 10, 20, 40]
        top = self.policy.next_attempt(3, now, now, 0.999999)
        assert top is not None
        assert top - now == pytest.approx(40, abs=1e-3)

    def test_capped_then_given_up_after_a_day(self) -> None:
        created = 0.0
        late = self.policy.next_attempt(30, created, 86_000, 0.9)
        assert late == 86_400  # never past the window
        assert self.policy.next_attempt(31, created, 86_400, 0.5) is None

    @given(st.integers(1, 60), st.floats(0, 86_399), st.floats(0, 0.999))
    def test_the_next_attempt_is_later_and_inside_the_window(
        self, attempts: int, now: float, jitter: float
    ) -> None:
        due = self.policy.next_attempt(attempts, 0.0, now, jitter)
        assert due is not None
        assert now < due <= 86_400


class TestCursor:
    @given(
        st.dictionaries(st.tuples(st.sampled_from(sorted(TOPICS)), st.integers(0, 64)), st.integers(0, 2**62))
    )
    def test_round_trip(self, positions: dict[tuple[str, int], int]) -> None:
        assert decode_cursor(encode_cursor(positions), TOPICS) == positions

    @pytest.mark.parametrize("token", ["%%%", "djI7YTox", "x" * 5000, encode_cursor({("other", 0): 1})])
    def test_foreign_tokens_are_refused_naming_the_field(self, token: str) -> None:
        with pytest.raises(InvalidArgument) as err:
            decode_cursor(token, TOPICS)
        assert err.value.field == "cursor"


class TestDeliveries:
    def test_the_same_event_and_endpoint_give_the_same_id(self) -> None:
        assert delivery_id("ep1", "ev1") == delivery_id("ep1", "ev1")
        assert delivery_id("ep1", "ev1") != delivery_id("ep2", "ev1")

    def test_endpoints_wanting_a_type_are_the_tenants_only(self) -> None:
        every = Endpoint("e1", "t1", "https://a/", frozenset(), "", 0, "s")
        alerts = Endpoint("e2", "t1", "https://b/", frozenset({"service.level_alert"}), "", 0, "s")
        other = Endpoint("e3", "t2", "https://c/", frozenset(), "", 0, "s")
        book = EndpointBook([every, alerts, other])
        assert book.wanting("t1", "interaction.created") == [every]
        assert book.wanting("t1", "service.level_alert") == [every, alerts]
        assert book.wanting("t3", "interaction.created") == []
        book.remove("t1", "e1")
        assert book.wanting("t1", "interaction.created") == []

    def test_unknown_event_types_are_refused(self) -> None:
        known = frozenset({"interaction.created"})
        assert check_event_types(["interaction.created"], known) == known
        with pytest.raises(InvalidArgument) as err:
            check_event_types(["tenant.config_changed"], known)
        assert err.value.field == "event_types"
