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
    (("ingest", "--date", "2026-10-01"), "no landing file for merchants"),
])
def test_bad_input_gets_a_clear_message_and_a_failing_exit_code(tmp_path, args, message):
    done = trust(*args, env_extra={"TRUST_DATA_DIR": str(tmp_path / "var")})
    assert done.returncode != 0
    assert message in " ".join((done.stdout + done.stderr).split())
    assert "Traceback" not in done.stderr
