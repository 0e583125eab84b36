"""Authenticates client-tenant callers: the provider's ops key, or a tenant's API key."""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from pydantic import SecretStr

from vaxel_client_tenant.domain.keys import ApiKeys
from vaxel_common.api_keys import OPS
from vaxel_common.auth import Principal, api_key_of


class ApiKeyAuthenticator:
    def __init__(self, keys: ApiKeys, admin_key: SecretStr) -> None:
        self._keys = keys
        self._admin_key = admin_key.get_secret_value()

    async def authenticate(self, method: str, metadata: Mapping[str, str]) -> Principal:
        key = api_key_of(metadata)
        if hmac.compare_digest(key, self._admin_key):
            return OPS
        return self._keys.principal(key)
