"""The night's summary in the terminal: shared by ``trust run``, ``trust summary`` and ``trust demo`` (a face-layer
module of its own, so the demo and the command line do not import each other)."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

console = Console()


def print_summary(summary: dict) -> None:
    publish = summary.get("publish") or {}
    status = summary.get("outcome") or publish.get("status", "not run")
    colour = "green" if status == "published" else "red"
    console.print(f"\n[bold]Business date {summary['business_date']}[/bold]: grades [{colour}]{status}[/{colour}]"
                  + (f" ({publish.get('grade_version')})" if publish else ""))
    if status != "published" and publish:
        console.print(f"  {status} because: {publish.get('reason')}")
    for problem in summary.get("stage_problems", []):
        if problem["status"] in ("failed", "skipped"):
            console.print(f"  {problem['stage']} {problem['status']}: {problem['error']}", highlight=False)
    tiers = Table(title="Grade distribution")
    tiers.add_column("tier")
    tiers.add_column("merchants", justify="right")
    for tier, count in summary["tiers"].items():
        tiers.add_row(tier, str(count))
    console.print(tiers)
    if summary.get("ingest"):
        ingest_table = Table(title=f"Ingest of {summary['business_date']}")
        for column in ("entity", "rows in", "loaded", "quarantined"):
            ingest_table.add_column(column, justify="right" if column != "entity" else "left")
        for entity, counts in summary["ingest"].items():
            ingest_table.add_row(entity, f"{counts['rows_in']:,}", f"{counts['loaded']:,}", f"{counts['quarantined']:,}")
        console.print(ingest_table)
    if summary.get("models"):
        console.print("models: " + ", ".join(f"{d} {v}" for d, v in summary["models"].items())
                      + " (`trust models list`)", highlight=False)
    worst = Table(title="Worst graded merchants and why", show_lines=True)
    worst.add_column("merchant")
    worst.add_column("tier")
    worst.add_column("score", justify="right")
    worst.add_column("reasons")
    for row in summary["worst_merchants"]:
        worst.add_row(row["merchant_id"], row["tier"], f"{row['score']:.0f}", "\n".join(row["reasons"]))
    console.print(worst)
    console.print(f"flagged by detectors: {json.dumps(summary.get('flagged', {}))}")
    for name, counts in summary.get("by_category", {}).items():
        console.print(f"{name} by category: {json.dumps(counts, ensure_ascii=False)}")
    console.print(f"warehouse: {summary['warehouse']}")
    if summary.get("summary_path"):
        console.print(f"summary:   {summary['summary_path']}")
