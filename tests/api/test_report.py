"""The analysts' report renders in a real browser (headless Chromium) with its charts and tables."""

from __future__ import annotations

import datetime as dt
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


# Draws pairs of different characters on a canvas in the report's own font stack and compares the pixels: where no
# font has the glyphs, both render as the same fallback box ("tofu") and the pictures are identical.
TOFU_PROBE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"></head><body><pre id="out"></pre><script>
const font = '24px ' + FONT;
function picture(text) {
  const canvas = document.createElement('canvas'); canvas.width = 64; canvas.height = 40;
  const ctx = canvas.getContext('2d'); ctx.font = font; ctx.fillStyle = '#000'; ctx.fillText(text, 4, 30);
  return Array.from(ctx.getImageData(0, 0, 64, 40).data).join(',');
}
const pairs = [['刷', '单'], ['假', '货'], ['評', '價'], ['A', 'B']];
document.getElementById('out').textContent = JSON.stringify(pairs.map(([a, b]) => [a + b, picture(a) !== picture(b),
  picture(a) !== picture(String.fromCodePoint(0xE000))]));
</script></body></html>"""


def test_chinese_in_the_report_renders_as_glyphs_not_tofu_boxes(served, tmp_path):
    import json

    from trust.report import FONT_STACK, build_report

    page = Path(build_report(served["settings"], served["last_day"])["report_path"]).read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page and "Noto Sans CJK SC" in page
    probe = tmp_path / "probe.html"
    probe.write_text(TOFU_PROBE.replace("FONT", json.dumps(FONT_STACK)), encoding="utf-8")
    browser = chromium()
    dom = subprocess.run([browser, *FLAGS, "--user-data-dir=" + str(tmp_path / "profile"), "--dump-dom", probe.as_uri()],
                         capture_output=True, text=True, timeout=120)
    found = json.loads(re.search(r'<pre id="out">(.*?)</pre>', dom.stdout).group(1))
    # each pair: two different characters look different, and neither looks like the missing-glyph box
    assert found == [["刷单", True, True], ["假货", True, True], ["評價", True, True], ["AB", True, True]], found


def test_report_numbers_are_formatted_and_charts_have_a_zero_line_and_ticks():
    from trust.html import bar_chart, line_chart, nice_ticks, number
    from trust.report import check_value

    assert number(12345) == "12,345" and number(0.04522613065326633) == "0.05" and number(3.0) == "3"
    assert check_value("quarantine_rate_orders", 0.04522613065326633) == "4.5%" and check_value("score_psi", 0.0123456) == "0.012"
    assert check_value("merchants_graded", 160.0) == "160" and check_value("score_psi", None) == "—"
    assert nice_ticks(7) == [0, 2, 4, 6, 8] and nice_ticks(0) == [0, 1] and nice_ticks(1234)[-1] >= 1234
    bars = bar_chart("t", [("A", 3, "#000"), ("B", 12, "#111")])
    assert 'stroke="#444"' in bars and '>0</text>' in bars and ">12</text>" in bars
    one_day = line_chart("c", {"质量问题": [(dt.date(2026, 10, 1), 4.0)], "other": [(dt.date(2026, 10, 1), 1.0), (dt.date(2026, 10, 3), 2.0)]})
    assert one_day.count("<circle") >= 5 and "质量问题 (4)" in one_day and one_day.count('stroke="#444"') == 2


def test_dates_needing_attention_show_released_as_released_and_failed_or_undelivered_dates_too():
    import pandas as pd

    from trust.report import attention_rows

    day = dt.date(2026, 10, 1)
    decisions = pd.DataFrame([
        {"id": 1, "business_date": day, "grade_version": "v1", "status": "published", "actor": "pipeline", "reason": "ok"},
        {"id": 2, "business_date": day + dt.timedelta(1), "grade_version": "v2", "status": "held", "actor": "pipeline", "reason": "psi"},
        {"id": 3, "business_date": day + dt.timedelta(1), "grade_version": "v2", "status": "published", "actor": "analyst_li",
         "reason": "released by analyst_li: checked"},
        {"id": 4, "business_date": day + dt.timedelta(2), "grade_version": "v3", "status": "held", "actor": "pipeline", "reason": "psi"},
    ])
    problems = pd.DataFrame([
        {"business_date": day + dt.timedelta(3), "stage": "ingest", "status": "failed", "error": "no landing file for orders"},
        {"business_date": day + dt.timedelta(4), "stage": "ingest", "status": "skipped", "error": "nothing was delivered"},
    ])
    rows = attention_rows(decisions, problems)
    states = [(r[0], re.sub("<[^>]+>", "", r[1])) for r in rows]
    assert states == [("2026-10-05", "not run: nothing delivered"), ("2026-10-04", "failed at ingest"),
                      ("2026-10-03", "held"), ("2026-10-02", "released by analyst_li")]
