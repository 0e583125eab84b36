"""The authentication hook's principal and API-key extraction."""

from __future__ import annotations

import pytest

from vaxel_common.auth import Principal, api_key_of
from vaxel_common.errors import PermissionDenied, Unauthenticated


class TestPrincipal:
    def test_tenant_key_is_scoped_to_its_tenant(self) -> None:
        key = Principal(subject="k", tenant_id="A", scopes=frozenset({"config:read"}))
        assert key.tenant_scope("") == "A"
        assert key.tenant_scope("A") == "A"
        with pytest.raises(PermissionDenied):
            key.tenant_scope("B")

    def test_ops_may_name_any_tenant(self) -> None:
        ops = Principal(subject="ops", tenant_id=None, scopes=frozenset({"*"}))
        assert ops.tenant_scope("B") == "B"

    def test_scopes(self) -> None:
        key = Principal(subject="k", tenant_id="A", scopes=frozenset({"config:read"}))
        key.require("config:read")
        with pytest.raises(PermissionDenied, match="config:write"):
            key.require("config:write")


class TestApiKey:
    def test_bearer(self) -> None:
        assert api_key_of({"authorization": "Bearer abc"}) == "abc"

    def test_x_api_key(self) -> None:
        assert api_key_of({"x-api-key": "xyz"}) == "xyz"

    def test_missing(self) -> None:
        with pytest.raises(Unauthenticated):
            api_key_of({})
