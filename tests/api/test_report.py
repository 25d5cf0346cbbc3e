"""The analysts' report renders in a real browser (headless Chromium) with its charts and tables."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("TRUST_SKIP_BROWSER") == "1":
            pytest.skip("chromium not installed (TRUST_SKIP_BROWSER=1)")
        raise RuntimeError("chromium is not installed: `apt-get install chromium` (or set TRUST_SKIP_BROWSER=1)")
    return found


def test_the_nightly_report_renders_with_charts_and_tables(served, tmp_path):
    from trust.report import build_report

    report = Path(build_report(served["settings"], served["last_day"])["report_path"])
    browser = chromium()
    profile = ["--user-data-dir=" + str(tmp_path / "profile")]
    dom = subprocess.run([browser, *FLAGS, *profile, "--dump-dom", report.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert len(re.findall(r"<svg[^>]*class=\"chart\"", dom.stdout)) >= 3  # tiers, flagged shops, complaints over time
    titles = set(re.findall(r'<table data-title="([^"]+)"', dom.stdout))
    assert {"Riskiest listings", "Quality checks"} <= titles and any(t.startswith("Fake-review flags") for t in titles)
    assert "Reseller networks at or near the pyramid-selling line" in titles and "Review rings (刷单 groups)" in titles
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    done = subprocess.run([browser, *FLAGS, *profile, "--hide-scrollbars", "--window-size=1200,4000",
                           f"--screenshot={shot}", report.as_uri()], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and shot.stat().st_size > 20_000, done.stderr[-2000:]
