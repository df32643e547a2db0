from __future__ import annotations

from pathlib import Path

import pytest

from niha.config import InsecureConfiguration, Settings, build_settings, check_production_secrets


def test_dev_secrets_generated_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NIHA_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("NIHA_SECRET_KEY", raising=False)
    first = build_settings()
    second = build_settings()
    assert len(first.secret_key) >= 32
    assert first.secret_key == second.secret_key
    assert (tmp_path / "secrets.json").stat().st_mode & 0o077 == 0


def _production(**kw: object) -> Settings:
    fields: dict[str, object] = {
        "secret_key": "k" * 40, "api_key_pepper": "p" * 40, "database_url": "postgresql://a@b/c",
    }  # fmt: skip
    return Settings(env="production", **{**fields, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize("secret", ["", "change-me", "short"])
def test_production_refuses_default_secrets(secret: str) -> None:
    with pytest.raises(InsecureConfiguration):
        check_production_secrets(_production(secret_key=secret))


def test_production_accepts_real_secrets() -> None:
    check_production_secrets(_production())


def test_production_refuses_the_demo_market() -> None:
    with pytest.raises(InsecureConfiguration, match="NIHA_DEMO_MARKET"):
        check_production_secrets(_production(demo_market=True))
