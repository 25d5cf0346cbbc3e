"""Settings come from the environment, with an embedded SQLite default."""

import datetime as dt

import pytest

from trust.dates import business_date_for_run, parse_business_date
from trust.settings import Settings


def test_defaults_are_an_embedded_sqlite_file_under_the_data_folder(tmp_path):
    settings = Settings.from_env({"TRUST_DATA_DIR": str(tmp_path)})
    assert settings.db_url == f"sqlite:///{tmp_path / 'warehouse.db'}"
    assert settings.landing_dir == tmp_path / "landing" and settings.timezone == "Asia/Shanghai"


def test_environment_overrides_the_database_and_time_zone(tmp_path):
    settings = Settings.from_env({"TRUST_DATA_DIR": str(tmp_path), "TRUST_DB_URL": "postgresql+psycopg2://u@h/db",
                                  "TRUST_TIMEZONE": "UTC"})
    assert settings.db_url == "postgresql+psycopg2://u@h/db" and settings.timezone == "UTC"


@pytest.mark.parametrize("env,message", [({"TRUST_TIMEZONE": "Mars/Base"}, "not a known IANA time zone"),
                                         ({"TRUST_THRESHOLDS": "/nope.toml"}, "no such file")])
def test_bad_settings_are_refused_with_the_variable_named(env, message):
    with pytest.raises(ValueError, match=message):
        Settings.from_env(env)


def test_the_business_date_is_the_override_or_the_day_before_the_run_in_shanghai():
    run = dt.datetime(2026, 11, 20, 18, 30, tzinfo=dt.timezone.utc)  # 02:30 on the 21st in Shanghai
    assert business_date_for_run(None, run, None, "Asia/Shanghai") == dt.date(2026, 11, 20)
    assert business_date_for_run("2026-01-05", run, None, "Asia/Shanghai") == dt.date(2026, 1, 5)
    with pytest.raises(ValueError, match="'2026/01/05' is not a date in the form YYYY-MM-DD"):
        parse_business_date("2026/01/05")
