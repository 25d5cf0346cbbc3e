"""The read side: ``trust serve`` (the API and the report) and ``trust grade`` (one merchant's grade)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from trust.cli.common import _settings, app, console


@app.command()
def serve(port: Annotated[int, typer.Option(help="Port on 127.0.0.1")] = 8000,
          host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
          workers: Annotated[int, typer.Option(help="Worker processes")] = 1) -> None:
    """Serve grade lookups, the analysts' API and the reports (OpenAPI schema at /openapi.json)."""
    import uvicorn

    from trust.db.health import warehouse_state

    settings = _settings()  # fail here, with a clear message, if the configuration is wrong
    state = warehouse_state(settings.db_url)
    console.print(f"{state.message}" if state.ok else f"[yellow]warning:[/yellow] {state.message}; until then every "
                  "answer is 503 with this reason", highlight=False, soft_wrap=True)
    console.print(f"serving http://{host}:{port} (schema at /openapi.json); one access-log line per request", highlight=False)
    access = {"format": "%(asctime)s %(name)s %(message)s"}
    uvicorn.run("trust.api.main:app", host=host, port=port, workers=workers, log_level="warning", log_config={
        "version": 1, "disable_existing_loggers": False, "formatters": {"access": access},
        "handlers": {"access": {"class": "logging.StreamHandler", "formatter": "access", "stream": "ext://sys.stderr"}},
        "loggers": {"trust.api": {"handlers": ["access"], "level": "INFO", "propagate": False},
                    "uvicorn.error": {"handlers": ["access"], "level": "WARNING"}}})


@app.command()
def grade(merchant_id: Annotated[str, typer.Argument(help="Merchant id")],
          history: Annotated[int, typer.Option(help="Also show this many past published grades")] = 5,
          explain: Annotated[bool, typer.Option("--explain", help="Also the models behind it: version, training, metrics")] = False) -> None:
    """A merchant's current published grade: tier, score, window, reasons and metrics against thresholds."""
    from trust.db.engine import session_scope
    from trust.lookup import current_publication, grade_history, grade_record

    settings = _settings()
    with session_scope(settings.db_url) as session:
        publication = current_publication(session)
        if publication is None:
            raise ValueError("no grades have been published yet")
        record = grade_record(session, merchant_id, publication)
        if record is None:
            raise ValueError(f"merchant {merchant_id!r} has no published grade")
        past = grade_history(session, merchant_id, history)
    console.print(f"[bold]{merchant_id}[/bold]: tier [bold]{record['tier']}[/bold] {record['tier_name']}, score {record['score']:.0f} "
                  f"(projected {record['projected_tier']}, since {record['effective_from']}); as of {record['as_of']}, "
                  f"window {record['window']['start']} .. {record['window']['end']}, {record['grade_version']}")
    models = record["published"].get("models") or {}
    if models and not explain:
        console.print("models behind it: " + ", ".join(f"{d} {v}" for d, v in models.items()) + " (--explain for more)")
    elif models:
        from trust.lifecycle.registry import show_model

        table = Table(title="Models behind this grade (pinned the night it was computed)")
        for column in ("detector", "version", "status now", "trained by", "labels from .. to", "holdout when judged"):
            table.add_column(column, no_wrap=column in ("detector", "version"))
        for detector, version in models.items():
            if version.startswith("rules") or detector == "agents":
                table.add_row(detector, version, "rules", "", "", "")
                continue
            shown = show_model(settings, detector, version)
            holdout = shown["metrics"].get("holdout", {}).get("challenger", {}) if isinstance(shown["metrics"], dict) else {}
            table.add_row(detector, version, shown["status"], shown["trained_by"],
                          " .. ".join(d or "" for d in shown["window"]) if any(shown["window"]) else "",
                          ", ".join(f"{k} {v}" for k, v in holdout.items() if k in ("auc", "macro_f1", "rows")))
        console.print(table)
    reasons = Table(title="Why", show_header=False)
    reasons.add_column("reason")
    for reason in record["reasons"]:
        reasons.add_row(reason["text"])
    console.print(reasons)
    metrics = Table(title="Metrics against thresholds")
    for column in ("metric", "value", "free up to", "points lost", "gates"):
        metrics.add_column(column)
    for m in record["metrics"]:
        card = m.get("scorecard", {})
        gates = "; ".join(f"≥{g['at_least']:g} → cap {g['cap']}{' (fired)' if g['fired'] else ''}" for g in m.get("gates", []))
        if card or gates:
            metrics.add_row(m["metric"], f"{m['value']:.4g}", f"{card.get('free_up_to', ''):}" if card else "",
                            f"{card.get('points_lost', '')}" if card else "", gates)
    console.print(metrics)
    if past:
        console.print("history: " + ", ".join(f"{h['as_of']} {h['tier']} {h['score']:.0f}" for h in past))
