"""`trust bench-api` runs to the end: the server it starts logs a line per request, and those lines must never stall it
(they once went to a pipe nobody read: after a few thousand requests the server blocked and the bench timed out)."""

from __future__ import annotations

import shutil

from rich.console import Console

from trust.bench import run_api_bench


def test_the_lookup_bench_serves_every_request_of_a_few_thousand(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)  # the Python load generator, not wrk
    results = run_api_bench(Console(quiet=True), merchants=300, requests=1500, clients=[16], workdir=tmp_path / "bench",
                            db_url=None, workers=1)
    assert [r["errors"] for r in results] == [0] and results[0]["requests"] == 1500
    assert (tmp_path / "bench" / "serve.log").read_text().count("GET /merchants/") >= 1500
