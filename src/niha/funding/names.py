"""Does the name on a bank account or a wire match the client's legal name? (pure)

Names are compared after folding case and accents, dropping punctuation and legal-form
words (GmbH, Ltd, S.A., ...), so "ACME CARBON GMBH" matches "Acme Carbon GmbH" and
"Acme Carbon" matches "Acme Carbon Ltd." — and "Acme Carbon" does not match "Apex Energy".
A mismatch is a flag for a person to look at, never a refusal by itself.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

LEGAL_FORMS = frozenset(
    """
    ab ag as asa bv bvba co company corp corporation cv gmbh gbr inc incorporated kft kg
    kgaa lda limited llc llp lp ltd mbh nv oy oyj plc pte pty sa sab sarl sas sasu se sl
    spa sp sro srl zoo ug ohg ev eg the and und et
    """.split()  # noqa: SIM905
)
SIMILARITY = 0.88


def _fold(name: str) -> list[str]:
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("&", " and ")
    # "S.A." -> "sa", "s.r.o." -> "sro": join dotted abbreviations before splitting
    text = re.sub(r"\b(?:[a-z]\.){2,}", lambda m: m.group(0).replace(".", ""), text)
    words = re.findall(r"[a-z0-9]+", text)
    return [w for w in words if w not in LEGAL_FORMS]


def normalized(name: str) -> str:
    return " ".join(_fold(name))


def names_match(a: str | None, b: str | None) -> bool:
    """Whether two names plausibly name the same person or company."""
    if not a or not b:
        return False
    wa, wb = _fold(a), _fold(b)
    if not wa or not wb:
        return a.strip().casefold() == b.strip().casefold()
    if wa == wb or sorted(wa) == sorted(wb):
        return True
    ja, jb = " ".join(wa), " ".join(wb)
    return SequenceMatcher(None, ja, jb).ratio() >= SIMILARITY
