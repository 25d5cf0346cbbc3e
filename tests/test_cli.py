"""The trust command line, as a user runs it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

TRUST = str(Path(sys.executable).parent / "trust")


def trust(*args, env_extra=None):
    env = os.environ.copy()
    env.update({"COLUMNS": "250", **(env_extra or {})})
    return subprocess.run([TRUST, *args], capture_output=True, text=True, env=env, timeout=300)


def test_synth_then_run_grades_a_day_and_prints_the_result(tmp_path):
    out = tmp_path / "market"
    done = trust("synth", "--merchants", "130", "--days", "2", "--seed", "3", "--out", str(out), "--format", "mixed")
    assert done.returncode == 0, done.stderr
    assert "reviews" in done.stdout and (out / "landing" / "reviews" / "2026-10-01" / "part-000.jsonl").is_file()
    assert (out / "landing" / "orders" / "2026-10-01" / "part-000.parquet").is_file()
    env = {"TRUST_DATA_DIR": str(tmp_path / "var"), "TRUST_LANDING_DIR": str(out / "landing")}
    assert trust("ingest", "--date", "2026-10-01", env_extra=env).returncode == 0
    done = trust("run", "--date", "2026-10-02", env_extra=env)
    assert done.returncode == 0, done.stderr
    assert "Grade distribution" in done.stdout and "Worst graded merchants" in done.stdout


@pytest.mark.parametrize("args,message", [
    (("ingest", "--date", "2026/10/01"), "is not a date in the form YYYY-MM-DD"),
    (("ingest", "--date", "2026-10-01"), "nothing was delivered for business date 2026-10-01"),
])
def test_bad_input_gets_a_clear_message_and_a_failing_exit_code(tmp_path, args, message):
    done = trust(*args, env_extra={"TRUST_DATA_DIR": str(tmp_path / "var")})
    assert done.returncode != 0
    assert message in " ".join((done.stdout + done.stderr).split())
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("db_url,says", [
    ("postgresql+psycopg2://postgres@127.0.0.1:1/trust",
     "cannot reach the warehouse at postgresql+psycopg2://postgres@127.0.0.1:1/trust: connection to server at"),
    ("postgresql+psycopg2://postgres@127.0.0.1:5432/trust_no_such_db",
     "the warehouse database 'trust_no_such_db' does not exist on 127.0.0.1:5432: create it with `createdb"),
    (None, "has no tables yet: run `trust db upgrade`"),
])
@pytest.mark.parametrize("command", [("summary", "--date", "2026-10-01"),
                                     ("token", "list")])
def test_a_warehouse_that_is_down_missing_or_not_migrated_is_one_line_saying_what_to_do(tmp_path, db_url, says, command):
    if db_url and "5432" in db_url and os.environ.get("TRUST_SKIP_POSTGRES") == "1":
        pytest.skip("no local PostgreSQL")
    env = {"TRUST_DATA_DIR": str(tmp_path / "var")}
    if db_url:
        env["TRUST_DB_URL"] = db_url
    else:
        (tmp_path / "var").mkdir()
        (tmp_path / "var" / "warehouse.db").touch()  # a file, but never migrated
    done = trust(*command, env_extra=env)
    assert done.returncode == 2
    output = (done.stdout + done.stderr).strip()
    assert len(output.splitlines()) == 1 and "Traceback" not in output
    assert output.startswith("error: ") and says in output


def test_tokens_are_created_listed_and_revoked_by_id_or_name_and_never_shown_again(tmp_path):
    env = {"TRUST_DATA_DIR": str(tmp_path / "var")}
    assert trust("db", "upgrade", env_extra=env).returncode == 0
    first = trust("token", "create", "--name", "shop-svc", "--role", "service", env_extra=env).stdout.strip()
    trust("token", "create", "--name", "analyst_li", "--role", "analyst", env_extra=env)
    listed = trust("token", "list", env_extra=env).stdout
    assert "shop-svc" in listed and "analyst_li" in listed and first not in listed and "active" in listed
    done = trust("token", "revoke", "--name", "shop-svc", env_extra=env)
    assert done.returncode == 0 and "revoked 1 token(s): #1" in done.stdout
    assert "shop-svc" not in trust("token", "list", env_extra=env).stdout
    assert "revoked" in trust("token", "list", "--all", env_extra=env).stdout
    again = trust("token", "revoke", "--id", "1", env_extra=env)
    assert again.returncode == 1 and "no active token #1" in again.stdout


def test_the_models_commands_list_promote_and_refuse_with_one_line(tmp_path):
    """`trust models`: a fresh warehouse lists the shipped models as champions; a rollback with nowhere to go and a
    promotion without a reason are one-line errors, not tracebacks."""
    env = {"TRUST_DATA_DIR": str(tmp_path / "var")}
    listed = trust("models", "list", env_extra=env)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.count("champion") == 3 and "shipped" in listed.stdout
    shown = trust("models", "show", "--detector", "listings", env_extra=env)
    assert shown.returncode == 0 and '"status": "champion"' in shown.stdout and '"features": [' in shown.stdout
    for args, message in ((("rollback", "--detector", "reviews", "--actor", "ana", "--reason", "x"), "no earlier reviews champion"),
                          (("promote", "--detector", "listings", "--version", "abc", "--actor", "ana", "--reason", " "), "needs a reason"),
                          (("show", "--detector", "agents"), "'agents' has no trained model")):
        done = trust("models", *args, env_extra=env)
        assert done.returncode == 1 and message in done.stdout and "Traceback" not in done.stderr, (args, done.stdout, done.stderr)
