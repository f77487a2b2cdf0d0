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


def documented_keys(text: str) -> set[str]:
    """Every dotted key the example file sets or shows commented out, in its section,
    and every table it opens (``[[brands]]`` documents ``brands``)."""
    import re

    section = ""
    keys: set[str] = set()
    for line in text.splitlines():
        header = re.match(r"^\s*(\[\[?)([\w.]+)\]\]?", line)
        if header:
            name = header.group(2)
            keys.add(name.replace("brands.", "brands[].", 1))
            # [[brands]] is an array of tables: its keys read ``brands[].key``.
            section = name.replace("brands", "brands[]", 1) if name.startswith("brands") \
                else name
            continue
        key = re.match(r"^\s*#?\s*([a-z_]+)\s*=", line)
        if key:
            keys.add(f"{section}.{key.group(1)}" if section else key.group(1))
    return keys


def test_example_config_is_valid_and_documents_every_setting_by_its_full_key() -> None:
    # It matched bare names anywhere in the file: a missing slack.port, slack.mode or
    # digest.time passed because "port", "mode" and "time" appear elsewhere.
    example = ROOT / "firstreply.example.toml"
    settings = load_settings(example)
    assert settings.brands and settings.brands[0].name == "Tesla"
    documented = documented_keys(example.read_text())
    wanted = {key for key, _, _ in describe_settings()}
    missing = sorted(wanted - documented)
    assert not missing, f"settings missing from firstreply.example.toml: {missing}"
    tables = {"database", "x", "x.prices", "bluesky", "slack", "model", "digest",
              "brands[].rules", "brands[].bluesky"}
    free_form = {k for k in documented if k.startswith("brands[].topics.")}  # topic names
    assert not sorted(documented - wanted - tables - free_form), "unknown settings shown"


def test_the_docs_check_reads_full_keys() -> None:
    keys = documented_keys("port = 1\n[slack]\nmode = 'x'\n[[brands]]\nname = 'a'\n"
                           "[brands.rules]\n# quiet_hours = ''\n")
    assert keys == {"port", "slack", "slack.mode", "brands", "brands[].name", "brands[].rules",
                    "brands[].rules.quiet_hours"}
    assert "slack.port" not in keys


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


@pytest.mark.parametrize(
    ("toml", "key", "says"),
    [
        ('[digest]\ntime = "25:99"\n', "digest.time", "not a local time of day"),
        ('[[brands]]\nname = "A"\n[brands.rules]\nbusiness_hours = "9-5"\n',
         "brands.0.rules.business_hours", "expected 'HH:MM-HH:MM'"),
        ('[[brands]]\nname = "A"\n[brands.rules]\nquiet_hours = "late"\n',
         "brands.0.rules.quiet_hours", "expected 'HH:MM-HH:MM'"),
        ('[[brands]]\nname = "A"\ntopic_channels = { safty = "#x" }\n',
         "brands.0.topic_channels.safty", "unknown topic"),
        ('[[brands]]\nname = "A"\n[brands.rules]\nlanguages = ["english"]\n',
         "brands.0.rules.languages", "not a language code"),
        ('[[brands]]\nname = "A"\nhandles = ["not a handle"]\n',
         "brands.0.handles", "not an X handle"),
        ('[[brands]]\nname = "A"\n[[brands]]\nname = "A"\n', "brands.1.name",
         "configured twice"),
    ],
)
def test_values_that_used_to_pass_are_refused_with_their_key(
    tmp_path: Path, toml: str, key: str, says: str
) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(toml)
    with pytest.raises(ConfigError) as info:
        load_settings(cfg)
    problems = dict(info.value.problems)
    assert key in problems, problems
    assert says in problems[key]


def test_handles_are_normalised_the_same_everywhere(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[[brands]]\nname = "A"\nhandles = ["@Acme", "AcmeHelp"]\n'
                   'user_ids = { "@Acme" = "1" }\n[brands.rules]\nvip_handles = ["@Big"]\n')
    (brand,) = load_settings(cfg).brands
    assert brand.handles == ["Acme", "AcmeHelp"]
    assert brand.user_ids == {"Acme": "1"}
    assert brand.rules.vip_handles == ["Big"]


def test_topics_a_brand_defines_may_have_a_channel(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[[brands]]\nname = "A"\ntopic_channels = { charging = "#c", safety = "#u" }'
                   '\n[brands.topics]\ncharging = ["no charger"]\n')
    assert load_settings(cfg).brands[0].topic_channels == {"charging": "#c", "safety": "#u"}


def test_a_bad_variable_is_blamed_on_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[x]\nmax_results = 50\n")
    monkeypatch.setenv("FIRSTREPLY_X__MAX_RESULTS", "1000")
    with pytest.raises(ConfigError) as info:
        load_settings(cfg)
    ((key, _),) = info.value.problems
    assert key == "x.max_results (from the environment: FIRSTREPLY_X__MAX_RESULTS)"
