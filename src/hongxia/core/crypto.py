"""Encryption at rest for ID numbers and phones, and keyed hashes to find them.

Fernet (AES-128-CBC + HMAC) is randomised, so equal plaintexts give different ciphertexts; an
exact lookup goes through `lookup_hash`, an HMAC keyed separately from the cipher key.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import models


@functools.cache
def _fernet(key: str) -> Fernet:
    return Fernet(key.encode())


@functools.cache
def _hash_key(key: str) -> bytes:
    return hashlib.sha256(b"hongxia-lookup:" + key.encode()).digest()


def encrypt(plain: str) -> str:
    return _fernet(settings.FIELD_ENCRYPTION_KEY).encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet(settings.FIELD_ENCRYPTION_KEY).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("cannot decrypt: wrong HONGXIA_FIELD_KEY?") from exc


def lookup_hash(plain: str) -> str:
    """Keyed hash for exact lookups and uniqueness; empty input hashes to empty."""
    if not plain:
        return ""
    return hmac.new(_hash_key(settings.FIELD_ENCRYPTION_KEY), plain.encode(), "sha256").hexdigest()


class EncryptedCharField(models.TextField):
    """A string stored encrypted; Python sees plaintext. Not searchable: pair it with a hash."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))
