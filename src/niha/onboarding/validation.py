"""Field rules of an entity that need more than a type: tax ids and websites (pure).

Tax ids are checked with python-stdnum where it has a validator: an EU VAT number (it carries
its country prefix, ``DE136695976``) with ``stdnum.eu.vat`` whatever the entity's country;
otherwise the validators stdnum has for the entity's country — for companies VAT, China's
unified social credit code, the US EIN, the Swiss UID; for individuals the personal tax
numbers (US TIN, German IdNr, ...) or VAT. A country without a validator only gets the shape
check. The stored value is the input upper-cased without spaces.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError
from stdnum.util import get_cc_module

from niha.onboarding.states import EntityType

EU_VAT_PREFIXES: frozenset[str] = frozenset(
    {cc.upper() for cc in eu_vat.MEMBER_STATES if cc != "gr"} | {"EL"}
)
TAX_ID_SHAPE = re.compile(r"^[A-Z0-9][A-Z0-9 .\-/]{1,39}$")
TAX_ID_VALIDATORS: dict[EntityType, tuple[str, ...]] = {
    EntityType.COMPANY: ("vat", "uscc", "ein", "uid"),
    EntityType.INDIVIDUAL: ("tin", "idnr", "nif", "personalid", "vat"),
}


class InvalidTaxIdError(ValueError):
    pass


def _modules(country: str, entity_type: EntityType) -> list[Any]:
    found: list[Any] = []
    for name in TAX_ID_VALIDATORS[entity_type]:
        module = get_cc_module(country.lower(), name)
        if module is not None and module not in found:
            found.append(module)
    return found


def _valid(module: Any, value: str) -> bool:
    try:
        module.validate(value)
    except ValidationError:
        return False
    return True


def normalize_tax_id(value: str, *, entity_type: EntityType, country: str | None) -> str:
    """The compact tax id, or :class:`InvalidTaxIdError` with a human explanation."""
    raw = value.strip().upper()
    compact = re.sub(r"\s+", "", raw)
    if not TAX_ID_SHAPE.match(raw):
        raise InvalidTaxIdError(
            "Use 2 to 40 letters and digits (spaces, dots, dashes and slashes allowed)."
        )
    if raw[:2] in EU_VAT_PREFIXES:
        try:
            eu_vat.validate(raw)
        except ValidationError as exc:
            reason = str(exc).strip().rstrip(".")
            raise InvalidTaxIdError(f"Not a valid EU VAT number. {reason}.") from exc
        return compact
    modules = _modules(country, entity_type) if country else []
    if modules and not any(_valid(module, raw) for module in modules):
        raise InvalidTaxIdError(f"Not a valid tax id for {country}.")
    return compact


def normalize_website(value: str) -> str:
    """An http(s) URL; ``example.com`` becomes ``https://example.com``."""
    url = value.strip()
    if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", url):
        url = "https://" + url
    parts = urlsplit(url)
    host = parts.hostname or ""
    if (
        parts.scheme.lower() not in {"http", "https"}
        or "." not in host
        or parts.username
        or parts.password
        or any(ch.isspace() for ch in url)
        or len(url) > 300
    ):
        raise ValueError("must be a web address such as https://example.com")
    return url
