from __future__ import annotations

from pathlib import Path

import pytest

from listener.config import Secrets, describe_settings, load_settings
from listener.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in list(__import__("os").environ):
        if var.startswith("FIRSTREPLY_"):
            monkeypatch.delenv(var)
    monkeypatch.chdir(tmp_path)


def test_defaults_without_a_file() -> None:
    settings = load_settings()
    assert settings.database.url == "sqlite:///firstreply.db"
    assert settings.x.api_base_url == "https://api.x.com"
    assert settings.slack.api_base_url == "https://slack.com/api/"


def test_nested_env_vars_override_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[database]\nurl = "sqlite:///from-file.db"\n[x]\napi_base_url = "http://file"\n'
    )
    monkeypatch.setenv("FIRSTREPLY_DATABASE__URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("FIRSTREPLY_SLACK__API_BASE_URL", "http://127.0.0.1:9/api/")
    settings = load_settings(cfg)
    assert settings.database.url == "postgresql+psycopg://u@h/db"
    assert settings.x.api_base_url == "http://file"
    assert settings.slack.api_base_url == "http://127.0.0.1:9/api/"


def test_firstreply_config_env_picks_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cfg = tmp_path / "elsewhere.toml"
    cfg.write_text('timezone = "Europe/Paris"\n')
    monkeypatch.setenv("FIRSTREPLY_CONFIG", str(cfg))
    assert load_settings().timezone == "Europe/Paris"


def test_every_bad_key_is_named(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(
        'timezone = "Mars/Olympus"\n[database]\nurll = "x"\n[x]\npoll_interval_seconds = 1\n'
        '[[brands]]\nhandles = ["a"]\n[brands.rules]\nmin_urgency = 9\n'
    )
    with pytest.raises(ConfigError) as info:
        load_settings(cfg)
    keys = {key for key, _ in info.value.problems}
    assert keys == {
        "timezone",
        "database.urll",
        "x.poll_interval_seconds",
        "brands.0.name",
        "brands.0.rules.min_urgency",
    }
    assert "unknown setting" in dict(info.value.problems)["database.urll"]


def test_missing_file_and_bad_toml_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[x\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(broken)


def test_example_config_is_valid_and_documents_every_setting() -> None:
    example = ROOT / "firstreply.example.toml"
    settings = load_settings(example)
    assert settings.brands and settings.brands[0].name == "Tesla"
    text = example.read_text()
    missing = [key for key, _, _ in describe_settings() if key.rsplit(".", 1)[-1] not in text]
    assert not missing, f"settings missing from firstreply.example.toml: {missing}"


def test_every_setting_has_help() -> None:
    undocumented = [
        key for key, _, help_ in describe_settings() if not help_ and not key.endswith("prices")
    ]
    assert not undocumented


def test_secrets_come_from_env_and_never_print() -> None:
    secrets = Secrets.from_env(
        {"SLACK_BOT_TOKEN": "planted-slack-secret-123", "X_BEARER_TOKEN": ""}
    )
    assert secrets.slack_bot_token is not None
    assert secrets.x_bearer_token is None
    assert "planted" not in repr(secrets) and "planted" not in str(secrets.model_dump())
    assert secrets.secret_values() == ["planted-slack-secret-123"]


def test_secrets_are_not_settings(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('slack_bot_token = "xoxb-in-a-file"\n')
    with pytest.raises(ConfigError, match="slack_bot_token"):
        load_settings(cfg)
