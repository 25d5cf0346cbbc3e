"""The commands the demo prints after its run work exactly as printed: serve the warehouse, look a grade up."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import httpx

from tests.api.conftest import free_port
from trust.demo import next_steps


def test_the_printed_next_steps_serve_the_grades_and_look_one_up(served, tmp_path, monkeypatch):
    from tests.api.test_service import some_merchant

    monkeypatch.chdir(tmp_path)
    merchant, port, day = some_merchant(served, "E"), free_port(), served["last_day"]
    serve, lookup, report, grade, rewrite = next_steps(served["settings"].data_dir, merchant, day, port)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUST_")}
    server = subprocess.Popen(["bash", "-c", serve], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, start_new_session=True)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        answer = subprocess.run(["bash", "-c", lookup], env=env, capture_output=True, text=True, timeout=30)
        assert answer.stdout.startswith("{"), (lookup, answer.stdout, answer.stderr, server.poll())
        body = json.loads(answer.stdout)
        assert body["merchant_id"] == merchant and body["tier"] == "E" and body["as_of"] == day.isoformat()
        assert subprocess.run(["bash", "-c", report], env=env, timeout=30).returncode == 0
        assert "<html" in (tmp_path / "report.html").read_text(encoding="utf-8")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        log = server.communicate(timeout=20)[0]
    assert f"GET /merchants/{merchant}/grade 200" in log  # the access log
    shown = subprocess.run(["bash", "-c", grade], env={**env, "COLUMNS": "200"}, capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0 and merchant in shown.stdout
    assert subprocess.run(["bash", "-c", rewrite], env=env, capture_output=True, timeout=60).returncode == 0
