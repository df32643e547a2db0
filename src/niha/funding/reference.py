"""Deposit reference codes: ``NIHA-7KQ2-9XD4`` (pure: no I/O, no randomness of its own).

Eight characters from an alphabet without look-alikes (no 0/O, 1/I/L, U), the last one a
check character (Luhn mod N over the alphabet), so a mistyped reference — one character
changed, or two neighbours swapped — is recognised as invalid instead of matching another
deposit. (Like every Luhn code, it misses one swap: of the alphabet's first and last
characters, ``2`` and ``Z``, next to each other.) The random part comes in as an argument (the service draws it with ``secrets``).
"""

from __future__ import annotations

import re

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "NIHA"
PAYLOAD_LENGTH = 7
_INDEX = {ch: i for i, ch in enumerate(ALPHABET)}
_FORMAT = re.compile(rf"^{PREFIX}-([{ALPHABET}]{{4}})-([{ALPHABET}]{{4}})$")


def check_character(payload: str) -> str:
    """Luhn mod N check character of ``payload`` (characters of :data:`ALPHABET`)."""
    n = len(ALPHABET)
    factor = 2
    total = 0
    for ch in reversed(payload):
        addend = factor * _INDEX[ch]
        factor = 1 if factor == 2 else 2
        total += addend // n + addend % n
    return ALPHABET[(n - total % n) % n]


def build(payload: str) -> str:
    """``payload`` (7 alphabet characters) -> ``NIHA-XXXX-XXXC``."""
    if len(payload) != PAYLOAD_LENGTH or any(ch not in _INDEX for ch in payload):
        raise ValueError("payload must be 7 characters of the reference alphabet")
    body = payload + check_character(payload)
    return f"{PREFIX}-{body[:4]}-{body[4:]}"


def from_indices(indices: list[int]) -> str:
    """A code from 7 numbers in ``range(len(ALPHABET))`` (e.g. ``secrets.randbelow``)."""
    return build("".join(ALPHABET[i] for i in indices))


def normalize(text: str) -> str:
    """What a person typed -> canonical form (upper case, no spaces, dashes put back)."""
    compact = re.sub(r"[\s-]+", "", text).upper()
    if compact.startswith(PREFIX):
        compact = compact[len(PREFIX) :]
    if len(compact) != PAYLOAD_LENGTH + 1:
        return text.strip().upper()
    return f"{PREFIX}-{compact[:4]}-{compact[4:]}"


def is_valid(code: str) -> bool:
    match = _FORMAT.match(code)
    if match is None:
        return False
    body = match.group(1) + match.group(2)
    return check_character(body[:-1]) == body[-1]
