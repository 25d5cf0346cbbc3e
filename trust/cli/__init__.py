"""The ``trust`` command line, one module per command group: ``night`` (synth, ingest, run, backfill, summary, report,
demo), ``analyst`` (overrides, appeals, gates, test-buy plans, release, recompute), ``grades``, ``models``,
``evaluation`` (``trust eval …``), ``reviews``/``listings``/``complaints`` (each detector on any CSV), ``service``
(serve, grade), ``tokens``, ``bench`` and ``db``. This module only wires them to the root app."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

# Commands on the root app register on import, in the order ``trust --help`` lists them.
from trust.cli import night, service, analyst, grades, evaluation, bench, db, tokens, reviews, listings, complaints  # noqa: F401, I001
from trust.cli.common import _settings, app, console
from trust.cli.models import models_app

for group, name in ((reviews.reviews_app, "reviews"), (listings.listings_app, "listings"), (complaints.complaints_app, "complaints"),
                    (analyst.spotcheck_app, "spotcheck"), (grades.grades_app, "grades"), (analyst.appeal_app, "appeal"),
                    (analyst.gate_app, "gate"), (db.db_app, "db"), (evaluation.eval_app, "eval"), (analyst.override_app, "override"),
                    (models_app, "models"), (tokens.token_app, "token")):
    app.add_typer(group, name=name)


@app.callback()
def _logging(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress")] = False) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)


def main() -> None:
    from sqlalchemy.exc import DBAPIError

    from trust.db.health import WarehouseUnavailable, warehouse_state
    from trust.errors import PermanentError

    try:
        app()
    except (PermanentError, WarehouseUnavailable, ValueError, FileNotFoundError, LookupError) as exc:
        # Expected, user-fixable problems: say what is wrong, no traceback.
        console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        raise SystemExit(1) from None
    except DBAPIError as exc:
        # The warehouse is down, missing or not migrated: one line with what to do, not 500 lines of driver traceback.
        state = warehouse_state(_settings().db_url)
        if state.ok:
            raise  # the database works: this is a bug, show it whole
        console.print(f"[red]error:[/red] {state.message}", highlight=False, soft_wrap=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
