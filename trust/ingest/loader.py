"""Load one business-date partition of landing files into the warehouse.

Layout: ``<landing>/<entity>/<YYYY-MM-DD>/*.csv|*.jsonl|*.parquet``. Every row of every file is either
upserted into its table or written to ``quarantine`` with file, row, column, value and reason; per file,
rows in = rows loaded + rows quarantined is checked and logged in ``ingest_log``. An entity with no file for
the day fails the whole ingest before anything is written.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from trust.db.engine import frame_to_records, session_scope, upsert
from trust.db.tables import INPUT_TABLES, IngestLog, QuarantineRow
from trust.ingest.contracts import CONTRACTS, ENTITY_ORDER
from trust.ingest.link_checks import check_agent_links
from trust.ingest.readers import FileRejected, read_landing_file
from trust.ingest.validate import validate
from trust.settings import Settings

log = logging.getLogger(__name__)
MAX_VALUE_CHARS = 500
# Checks across rows and against the warehouse that a column contract cannot express.
ENTITY_CHECKS = {"agent_links": check_agent_links}


class MissingLandingData(Exception):
    """An entity has no landing file for the business date."""


@dataclass
class FileResult:
    entity: str
    source_file: str
    status: str
    rows_in: int
    rows_loaded: int
    rows_quarantined: int
    first_problems: list[str] = field(default_factory=list)


@dataclass
class IngestResult:
    business_date: dt.date
    files: list[FileResult]

    def totals(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for result in self.files:
            entry = out.setdefault(result.entity, {"rows_in": 0, "rows_loaded": 0, "rows_quarantined": 0, "files_rejected": 0})
            entry["rows_in"] += result.rows_in
            entry["rows_loaded"] += result.rows_loaded
            entry["rows_quarantined"] += result.rows_quarantined
            entry["files_rejected"] += result.status == "file_rejected"
        return out


def landing_files(landing_dir: Path, entity: str, business_date: dt.date) -> list[Path]:
    folder = landing_dir / entity / business_date.isoformat()
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir() if path.is_file() and not path.name.startswith("."))


def ingest_partition(settings: Settings, business_date: dt.date) -> IngestResult:
    """Validate and load every entity's landing files for ``business_date``; idempotent per date."""
    found = {entity: landing_files(settings.landing_dir, entity, business_date) for entity in ENTITY_ORDER}
    missing = [entity for entity, files in found.items() if not files]
    if missing:
        expected = ", ".join(f"{settings.landing_dir / e / business_date.isoformat()}/*.csv|*.jsonl|*.parquet" for e in missing)
        raise MissingLandingData(
            f"no landing file for {', '.join(missing)} on business date {business_date}; expected {expected}. "
            "An entity with nothing new that day still needs a file with just its header."
        )
    results: list[FileResult] = []
    for entity in ENTITY_ORDER:
        with session_scope(settings.db_url) as session:
            results.extend(_ingest_entity(session, settings, entity, business_date, found[entity]))
    outcome = IngestResult(business_date, results)
    for entity, total in outcome.totals().items():
        log.info("ingest %s %s: %s", business_date, entity, total)
    return outcome


def _known_ids(session: Session, entity: str) -> set[str]:
    table = INPUT_TABLES[entity]
    key = CONTRACTS[entity].key
    return set(session.execute(select(getattr(table, key))).scalars())


def _ingest_entity(
    session: Session, settings: Settings, entity: str, business_date: dt.date, files: list[Path]
) -> list[FileResult]:
    contract = CONTRACTS[entity]
    table = INPUT_TABLES[entity]
    session.execute(delete(QuarantineRow).where(QuarantineRow.business_date == business_date, QuarantineRow.entity == entity))
    session.execute(delete(IngestLog).where(IngestLog.business_date == business_date, IngestLog.entity == entity))
    references = {f.references for f in contract.fields if f.references}
    known = {ref: _known_ids(session, ref) for ref in references}
    loaded_here: dict[str, str] = {}
    results = []
    for path in files:
        name = str(path.relative_to(settings.landing_dir)) if path.is_relative_to(settings.landing_dir) else str(path)
        try:
            raw = read_landing_file(path)
            missing_columns = [c for c in contract.required_columns if c not in raw.frame.columns]
        except FileRejected as exc:
            results.append(_reject_file(session, entity, business_date, name, str(exc)))
            continue
        result = _load_file(session, contract, table, business_date, settings, name, raw, known, loaded_here, missing_columns)
        results.append(result)
    return results


def _reject_file(session: Session, entity: str, business_date: dt.date, name: str, reason: str) -> FileResult:
    log.error("%s: file rejected: %s", name, reason)
    session.add(
        QuarantineRow(business_date=business_date, entity=entity, source_file=name, row_number=None,
                      column_name=None, value=None, reason=f"file rejected: {reason}", raw_record=None)
    )
    session.add(IngestLog(business_date=business_date, entity=entity, source_file=name, status="file_rejected",
                          rows_in=0, rows_loaded=0, rows_quarantined=0))
    return FileResult(entity, name, "file_rejected", 0, 0, 0, [f"{name}: file rejected: {reason}"])


def _load_file(session, contract, table, business_date, settings, name, raw, known, loaded_here, missing_columns):
    frame = raw.frame
    if missing_columns:
        # Keep every row (quarantined, with the whole record) rather than dropping the file silently.
        checked_good = frame.iloc[0:0]
        bad = pd.DataFrame(
            {"_row": frame["_row"], "column": missing_columns[0], "value": None,
             "reason": f"file has no column {', '.join(repr(c) for c in missing_columns)}"}
        )
    else:
        checked = validate(frame, contract, business_date, settings.tz, known, loaded_here)
        checked_good, bad = checked.good, checked.bad
        if contract.entity in ENTITY_CHECKS and not checked_good.empty:
            extra = ENTITY_CHECKS[contract.entity](session, checked_good)
            if not extra.empty:
                bad = pd.concat([bad, extra], ignore_index=True)
                checked_good = checked_good[~checked_good["_row"].isin(set(extra["_row"]))].reset_index(drop=True)

    quarantine = _quarantine_records(contract.entity, business_date, name, frame, bad, raw.unparsed)
    good = checked_good.drop(columns=["_row"])
    good["business_date"] = business_date
    rows_loaded = upsert(session, table, frame_to_records(good))
    if quarantine:
        session.execute(insert(QuarantineRow), quarantine)
    rows_quarantined = len(quarantine)
    if raw.rows_in != rows_loaded + rows_quarantined:
        raise AssertionError(f"{name}: {raw.rows_in} rows in but {rows_loaded} loaded + {rows_quarantined} quarantined")
    session.add(IngestLog(business_date=business_date, entity=contract.entity, source_file=name, status="loaded",
                          rows_in=raw.rows_in, rows_loaded=rows_loaded, rows_quarantined=rows_quarantined))
    key = contract.key
    for value in good[key]:
        loaded_here[value] = name
    problems = [f"{name}: row {q['row_number']}, column {q['column_name']}, value {q['value']!r}: {q['reason']}" for q in quarantine[:5]]
    for line in problems:
        log.warning("quarantined %s", line)
    if rows_quarantined:
        log.warning("%s: %d of %d rows quarantined", name, rows_quarantined, raw.rows_in)
    return FileResult(contract.entity, name, "loaded", raw.rows_in, rows_loaded, rows_quarantined, problems)


def _quarantine_records(entity, business_date, name, frame, bad, unparsed) -> list[dict]:
    records = [
        dict(business_date=business_date, entity=entity, source_file=name, row_number=row, column_name=None,
             value=None, reason=reason, raw_record=raw_text[:10_000])
        for row, reason, raw_text in unparsed
    ]
    if bad.empty:
        return records
    raw_by_row = frame.set_index("_row")
    for row, problems in bad.groupby("_row", sort=True):
        first = problems.iloc[0]
        reason = "; ".join(f"{p.column}: {p.reason}" for p in problems.itertuples())
        raw = {k: v for k, v in raw_by_row.loc[row].items() if v is not None}
        value = first["value"]
        records.append(
            dict(business_date=business_date, entity=entity, source_file=name, row_number=int(row),
                 column_name=first["column"], value=None if value is None or value != value else str(value)[:MAX_VALUE_CHARS],
                 reason=reason, raw_record=json.dumps(raw, ensure_ascii=False)[:10_000])
        )
    records.sort(key=lambda r: r["row_number"])
    return records
