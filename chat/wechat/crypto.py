"""WeChat's callback signatures and the safe mode's message encryption (AES-256-CBC with the EncodingAESKey).

The algorithm, as the Official Account documentation gives it: the 43-character EncodingAESKey is
base64 (with one "=" added) for a 32-byte key; the IV is the key's first 16 bytes; the plaintext is
random(16) + len(msg) as 4 bytes in network order + msg + AppID, padded PKCS#7-style to a multiple
of 32 (not AES's 16); the result is base64. ``msg_signature`` is the SHA-1 of the sorted Token,
timestamp, nonce and ciphertext.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PAD_BLOCK = 32


class CryptoError(ValueError):
    """A ciphertext that does not decrypt to a message for this AppID."""


def signature(*parts: str) -> str:
    """SHA-1 hex of the parts sorted and joined (the callback's ``signature`` and ``msg_signature``)."""
    # SHA-1 is WeChat's choice, not ours; it is what the callback carries.
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()  # noqa: S324


def signature_matches(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.strip().lower().encode())


def aes_key(encoding_aes_key: str) -> bytes:
    if len(encoding_aes_key) != 43:
        raise CryptoError("the EncodingAESKey has 43 characters")
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CryptoError("the EncodingAESKey is not base64") from exc
    if len(key) != 32:
        raise CryptoError("the EncodingAESKey must decode to 32 bytes")
    return key


def _pad(data: bytes) -> bytes:
    n = PAD_BLOCK - len(data) % PAD_BLOCK
    return data + bytes([n]) * n


def _unpad(data: bytes) -> bytes:
    if not data:
        raise CryptoError("empty plaintext")
    n = data[-1]
    if not 1 <= n <= PAD_BLOCK or data[-n:] != bytes([n]) * n:
        raise CryptoError("bad padding")
    return data[:-n]


def encrypt(message: bytes, *, encoding_aes_key: str, appid: str, random16: bytes | None = None) -> str:
    key = aes_key(encoding_aes_key)
    plain = (random16 or os.urandom(16)) + struct.pack(">I", len(message)) + message + appid.encode()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(_pad(plain)) + encryptor.finalize()).decode()


def decrypt(ciphertext: str, *, encoding_aes_key: str, appid: str) -> bytes:
    """The message inside ``ciphertext``; CryptoError unless it is well formed and for ``appid``."""
    key = aes_key(encoding_aes_key)
    try:
        raw = base64.b64decode(ciphertext, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CryptoError("not base64") from exc
    if not raw or len(raw) % 16:
        raise CryptoError("not a whole number of AES blocks")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = _unpad(decryptor.update(raw) + decryptor.finalize())
    if len(plain) < 20:
        raise CryptoError("too short")
    (length,) = struct.unpack(">I", plain[16:20])
    message, rest = plain[20 : 20 + length], plain[20 + length :]
    if len(message) != length or not hmac.compare_digest(rest, appid.encode()):
        raise CryptoError("not for this AppID")
    return message
