"""Settings from the environment (prefix ``NIHA_``) and development secrets under ``var/``."""

from __future__ import annotations

import json
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_NAMES = ("secret_key", "api_key_pepper")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NIHA_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    var_dir: Path = Path("var")
    database_url: str | None = None
    redis_url: str | None = None
    secret_key: str = ""
    api_key_pepper: str = ""
    public_url: str = "http://127.0.0.1:8000"
    web_dist: Path = Path("web/dist")

    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 14 * 24 * 3600
    invitation_ttl_hours: int = 72
    password_reset_ttl_minutes: int = 60
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    login_rate_per_ip: str = "30/minute"
    contact_rate_per_ip: str = "5/hour"  # the public contact form
    kyc_max_upload_bytes: int = 10 * 1024 * 1024

    # funding: deposits, AML holds, withdrawals (amounts in minor units: EUR cents)
    funding_currencies: list[str] = Field(default_factory=lambda: ["EUR"])
    funding_max_deposit: int = 1_000_000_000  # EUR 10,000,000.00 per deposit
    funding_max_withdrawal: int = 1_000_000_000  # EUR 10,000,000.00 per withdrawal
    funding_bank_beneficiary: str = "Niha Markets B.V. - Client Money Account"
    funding_bank_iban: str = "NL91ABNA0417164300"
    funding_bank_bic: str = "ABNANL2A"
    funding_bank_name: str = "ABN AMRO Bank N.V."
    funding_bank_address: str = "Gustav Mahlerlaan 10, 1082 PP Amsterdam, Netherlands"
    # An announced deposit (PENDING) whose wire has not arrived after this many days is
    # cancelled as expired (a later wire is booked as an unannounced one).
    funding_deposit_announcement_days: int = Field(default=30, ge=1, le=365)
    aml_hold_standard_hours: int = 24
    aml_hold_first_deposit_hours: int = 72
    aml_hold_large_amount: int = 5_000_000  # EUR 50,000.00 and above ...
    aml_hold_large_amount_hours: int = 48  # ... wait at least this long
    aml_hold_high_risk_hours: int = 120
    # FATF "call for action" and "increased monitoring" jurisdictions (ISO 3166 alpha-2).
    aml_high_risk_jurisdictions: list[str] = Field(
        default_factory=lambda: (
            "KP IR MM DZ AO BG BF CM CD HT KE LA LB MC MZ NA NP NG SS SY VE VN YE".split()  # noqa: SIM905
        )
    )
    aml_reporting_threshold: int = 1_000_000  # EUR 10,000.00
    aml_structuring_margin_percent: int = 10  # "just below": within 10 % under the threshold
    aml_structuring_window_days: int = 7
    aml_structuring_min_deposits: int = 3  # this many just-below deposits in the window
    aml_two_person_release_amount: int = 10_000_000  # EUR 100,000.00: flagged holds need two
    aml_expiring_soon_hours: int = 24

    # exchange: default trading fees (basis points; an instrument may override them) and
    # the trade size (units) from which staff must confirm a trade (0: never)
    exchange_maker_fee_bps: int = 5
    exchange_taker_fee_bps: int = 10
    exchange_block_size: int = 0

    email_backend: Literal["outbox", "smtp", "resend"] = "outbox"
    email_from: str = "Niha <no-reply@niha.local>"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    resend_api_key: str | None = None
    resend_api_url: str = "https://api.resend.com/emails"

    run_worker_in_serve: bool = True
    # ``make run``: the demo's liquidity provider quotes and trades (niha/demo_market.py)
    demo_market: bool = False
    ws_ping_interval_seconds: float = 20.0
    ws_auth_timeout_seconds: float = 10.0
    log_json: bool | None = None
    cors_origins: list[str] = Field(default_factory=list)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def outbox_dir(self) -> Path:
        return self.var_dir / "outbox"

    @property
    def storage_dir(self) -> Path:
        return self.var_dir / "storage"


class InsecureConfiguration(RuntimeError):
    """Raised when production starts with default or missing secrets."""


def _load_dev_secrets(var_dir: Path) -> dict[str, str]:
    """Secrets for development, generated once into ``var/secrets.json``."""
    path = var_dir / "secrets.json"
    data: dict[str, str] = {}
    if path.exists():
        data = json.loads(path.read_text())
    changed = False
    for name in DEV_SECRET_NAMES:
        if not data.get(name):
            data[name] = secrets.token_urlsafe(48)
            changed = True
    if changed:
        var_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2))
        tmp.chmod(0o600)
        tmp.replace(path)
    return data


def check_production_secrets(settings: Settings) -> None:
    if not settings.is_production:
        return
    for name in DEV_SECRET_NAMES:
        value: str = getattr(settings, name)
        if len(value) < 32 or value in {"change-me", "secret", "dev"}:
            raise InsecureConfiguration(
                f"NIHA_{name.upper()} must be set to a random value of at least 32 characters "
                "when NIHA_ENV=production"
            )
    if not settings.database_url:
        raise InsecureConfiguration("NIHA_DATABASE_URL must be set when NIHA_ENV=production")
    if settings.demo_market:
        raise InsecureConfiguration(
            "NIHA_DEMO_MARKET trades for a demo client: it cannot be set when NIHA_ENV=production"
        )


def build_settings() -> Settings:
    settings = Settings()
    if settings.is_production:
        check_production_secrets(settings)
        return settings
    dev = _load_dev_secrets(settings.var_dir)
    updates = {name: dev[name] for name in DEV_SECRET_NAMES if not getattr(settings, name)}
    return settings.model_copy(update=updates)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return build_settings()
