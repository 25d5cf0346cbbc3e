"""Load one business-date partition of landing files into the warehouse.

Layout: ``<landing>/<entity>/<YYYY-MM-DD>/*.csv|*.jsonl|*.parquet``. Every row of every file is either
loaded into its table or written to ``quarantine`` with file, row, column, value and reason. A delivery for a date
replaces that date's earlier delivery; an id already loaded on another date is quarantined as a conflict, never
changed in place (so a past date reruns on exactly the records it had); per file,
rows in = rows loaded + rows quarantined is checked and logged in ``ingest_log``, with the records counted without
the parser that split them. Every entry of a landing folder is accounted for: a directory, symbolic link, hidden or
unreadable file is a rejected entry with its reason (which holds the day at the quality gate); an empty file named
``_NOTHING_TODAY`` records that the supplier has nothing for the entity that day. An entity with no entry for the day
fails the whole ingest before anything is written.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from trust.db.engine import insert_rows, read_by_ids, session_scope
from trust.db.tables import INPUT_TABLES, IngestLog, QuarantineRow
from trust.errors import MissingLandingData, NothingDelivered  # noqa: F401  (MissingLandingData is re-exported)
from trust.ingest.contracts import CONTRACTS, ENTITY_ORDER
from trust.ingest.link_checks import check_agent_links
from trust.ingest.readers import FileRejected, read_landing_file
from trust.ingest.validate import validate
from trust.settings import Settings

log = logging.getLogger(__name__)
MAX_VALUE_CHARS = 500
LOOKUP_IDS = 10_000  # ids per statement when a day's ids are checked against other days (an index scan, see read_by_ids)
# Checks across rows and against the warehouse that a column contract cannot express.
ENTITY_CHECKS = {"agent_links": check_agent_links}


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


NOTHING_TODAY = "_NOTHING_TODAY"  # an empty file of this name: the supplier says the entity has nothing that day


def landing_files(landing_dir: Path, entity: str, business_date: dt.date) -> list[Path]:
    """Every entry of the entity's folder for the date, files or not: each one ends up in ``ingest_log``."""
    folder = landing_dir / entity / business_date.isoformat()
    if not folder.is_dir():
        return []
    return sorted(folder.iterdir())


def _not_a_landing_file(path: Path) -> str | None:
    """Why an entry of a landing folder is not read as a landing file (None: it is one)."""
    if path.is_symlink():
        return "a symbolic link: landing files must be regular files in the folder (copy the file in)"
    if path.is_dir():
        return "a directory, not a file: nothing inside it is read (move its files up into the date folder)"
    if not path.is_file():
        return "not a regular file"
    if path.name.startswith("."):
        return "a hidden file: not read (remove it or rename it)"
    return None


def ingest_partition(settings: Settings, business_date: dt.date) -> IngestResult:
    """Validate and load every entity's landing files for ``business_date``; idempotent per date."""
    found = {entity: landing_files(settings.landing_dir, entity, business_date) for entity in ENTITY_ORDER}
    missing = [entity for entity, files in found.items() if not files]
    if len(missing) == len(found):
        raise NothingDelivered(
            f"nothing was delivered for business date {business_date}: no folder "
            f"{settings.landing_dir}/<entity>/{business_date.isoformat()}/ exists for any entity. If the files are late, "
            "rerun the date when they arrive; an entity with nothing new that day still needs a file with just its header."
        )
    if missing:
        expected = ", ".join(f"{settings.landing_dir / e / business_date.isoformat()}/*.csv|*.jsonl|*.parquet" for e in missing)
        raise MissingLandingData(
            f"no landing file for {', '.join(missing)} on business date {business_date}; expected {expected}. "
            "An entity with nothing new that day still needs a file with just its header."
        )
    results: list[FileResult] = []
    known: dict[str, set[str]] = {}  # entity → ids found in the warehouse so far this partition (see _look_up_references)
    plan = {entity: [_entry(settings, path) for path in found[entity]] for entity in ENTITY_ORDER}
    with session_scope(settings.db_url) as session:  # one transaction: a failure leaves none of the day half-loaded
        for entity in ENTITY_ORDER:
            results.extend(_ingest_entity(session, settings, entity, business_date, plan[entity], known))
    outcome = IngestResult(business_date, results)
    for entity, total in outcome.totals().items():
        log.info("ingest %s %s: %s", business_date, entity, total)
    return outcome


def _look_up_references(session: Session, contract, frame: pd.DataFrame, known: dict[str, set[str]]) -> None:
    """Add to ``known[entity]`` every id the file's reference columns name that the warehouse holds. Only the values
    the file names are looked up (by primary key), each once per partition: reading every id of a referenced table
    cost a read of the whole table per night (two million orders after a month at 1M reviews). ENTITY_ORDER loads an
    entity before any that references it, in the same transaction, so the lookup sees the partition's own rows."""
    wanted: dict[str, set[str]] = {}
    for spec in contract.fields:
        if spec.references is None or spec.name not in frame.columns:
            continue
        seen = known.setdefault(spec.references, set())
        values = {v.strip() for v in frame[spec.name].to_numpy(dtype=object) if isinstance(v, str)} - seen
        values.discard("")
        whole = "\n".join(values)
        if storable(whole) != whole:  # a NUL or a lone surrogate somewhere: no database binds it (the value is no id)
            values = {v for v in values if storable(v) == v}
        wanted.setdefault(spec.references, set()).update(values)
    for entity, values in wanted.items():
        if not values:
            continue
        table, key = INPUT_TABLES[entity], CONTRACTS[entity].key
        column = getattr(table, key)
        found = read_by_ids(session, select(column), column, sorted(values))
        known[entity].update(found[key].tolist() if len(found) else ())


@dataclass(frozen=True)
class _Entry:
    path: Path
    name: str  # as recorded: relative to the landing folder, storable
    verdict: str | None  # None: a landing file to read; NOTHING_TODAY; otherwise why the entry is rejected


def _entry(settings: Settings, path: Path) -> _Entry:
    """What the loader does with one entry of a landing folder."""
    name = storable(str(path.relative_to(settings.landing_dir)) if path.is_relative_to(settings.landing_dir) else str(path))
    if path.name == NOTHING_TODAY and path.is_file() and not path.is_symlink():
        return _Entry(path, name, NOTHING_TODAY)
    refused = _not_a_landing_file(path)
    if refused is None and storable(path.name) != path.name:
        refused = "a file name that is not UTF-8 text: rename it"
    return _Entry(path, name, refused)


def _ingest_entity(
    session: Session, settings: Settings, entity: str, business_date: dt.date, entries: list[_Entry],
    known: dict[str, set[str]],
) -> list[FileResult]:
    contract = CONTRACTS[entity]
    table = INPUT_TABLES[entity]
    # A delivery for the date replaces exactly the date's earlier delivery: no row of it survives unless sent again.
    session.execute(delete(table).where(table.business_date == business_date))
    session.execute(delete(QuarantineRow).where(QuarantineRow.business_date == business_date, QuarantineRow.entity == entity))
    session.execute(delete(IngestLog).where(IngestLog.business_date == business_date, IngestLog.entity == entity))
    loaded_here: dict[str, str] = {}
    results = []
    for entry in entries:
        name, refused = entry.name, entry.verdict
        if refused == NOTHING_TODAY:
            session.add(IngestLog(business_date=business_date, entity=entity, source_file=name, status="nothing_today",
                                  rows_in=0, rows_loaded=0, rows_quarantined=0,
                                  notes="the supplier marked this entity as having nothing new today"))
            results.append(FileResult(entity, name, "nothing_today", 0, 0, 0))
            continue
        if refused is not None:
            results.append(_reject_file(session, entity, business_date, name, refused))
            continue
        try:
            raw = read_landing_file(entry.path)
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
        _look_up_references(session, contract, frame, known)
        checked = validate(frame, contract, business_date, settings.tz, known, loaded_here)
        checked_good, bad = checked.good, checked.bad
        if contract.entity in ENTITY_CHECKS and not checked_good.empty:
            extra = ENTITY_CHECKS[contract.entity](session, checked_good)
            if not extra.empty:
                bad = pd.concat([bad, extra], ignore_index=True)
                checked_good = checked_good[~checked_good["_row"].isin(set(extra["_row"]))].reset_index(drop=True)

    unchanged = 0
    if not checked_good.empty:
        # Every id left is in the warehouse once this file is loaded (inserted now, or on another day): an entity
        # loaded later that names one need not look it up (a day's merchants snapshot names nearly every merchant).
        known.setdefault(contract.entity, set()).update(checked_good[contract.key].tolist())
        conflicts, same = _loaded_on_other_days(session, table, contract, checked_good)
        if not conflicts.empty:
            bad = pd.concat([bad, conflicts], ignore_index=True)
        unchanged = len(same)
        drop = set(conflicts["_row"]) | set(same)
        if drop:
            checked_good = checked_good[~checked_good["_row"].isin(drop)].reset_index(drop=True)
    quarantine = _quarantine_records(contract.entity, business_date, name, frame, bad, raw.unparsed)
    good = checked_good.drop(columns=["_row"])
    good["business_date"] = business_date
    # The date's earlier delivery is gone and ids of other dates were diverted above (conflict or unchanged): every
    # row left is new, so it goes in by the database's bulk path (COPY on PostgreSQL).
    rows_loaded = insert_rows(session, table, good) + unchanged  # a record sent again unchanged stays as it was
    if quarantine:
        session.execute(insert(QuarantineRow), quarantine)
    rows_quarantined = len(quarantine)
    if raw.rows_in != rows_loaded + rows_quarantined:
        raise AssertionError(f"{name}: {raw.rows_in} rows in but {rows_loaded} loaded + {rows_quarantined} quarantined")
    seen = raw.records_seen if raw.records_seen is not None else raw.rows_in
    if seen != rows_loaded + rows_quarantined:  # counted without the field parser: a record the reader lost shows here
        raise AssertionError(f"{name}: the file holds {seen} records but {rows_loaded} were loaded and {rows_quarantined} "
                             "quarantined; a record was lost while reading it")
    notes = column_notes(contract, frame.columns, missing_columns)
    if notes:
        log.warning("%s: %s", name, notes)
    if unchanged:  # a daily snapshot (merchants) is expected to repeat itself: a fact, not a warning
        again = f"{unchanged} record(s) identical to ones loaded on earlier days: kept as first delivered"
        log.info("%s: %s", name, again)
        notes = "; ".join(filter(None, [notes, again]))
    session.add(IngestLog(business_date=business_date, entity=contract.entity, source_file=name, status="loaded",
                          rows_in=raw.rows_in, rows_loaded=rows_loaded, rows_quarantined=rows_quarantined, notes=notes))
    key = contract.key
    for value in good[key] if key in good else ():  # a file with no records may have no columns at all
        loaded_here[value] = name
    problems = [f"{name}: row {q['row_number']}, column {q['column_name']}, value {q['value']!r}: {q['reason']}" for q in quarantine[:5]]
    for line in problems:
        log.warning("quarantined %s", line)
    if rows_quarantined:
        log.warning("%s: %d of %d rows quarantined", name, rows_quarantined, raw.rows_in)
    return FileResult(contract.entity, name, "loaded", raw.rows_in, rows_loaded, rows_quarantined, problems)


def _loaded_on_other_days(session: Session, table, contract, good: pd.DataFrame) -> tuple[pd.DataFrame, list[int]]:
    """(conflicts as quarantine problems, rows identical to what is stored) for rows whose id was loaded on another
    business date. Inputs are never changed in place: the warehouse keeps a record as first delivered, so every past
    date reads what it read before. A record sent again unchanged (a daily snapshot of merchants) is accepted as it
    is; a changed one is a conflict: a correction comes under its own id, or by re-delivering the date it belongs to."""
    key = contract.key
    column = getattr(table, key)
    ids = good[key].dropna().astype(str).unique().tolist()
    columns = [getattr(table, c) for c in contract.columns]
    stored = read_by_ids(session, select(*columns, table.business_date), column, ids, per_statement=LOOKUP_IDS) if ids else pd.DataFrame()
    empty = pd.DataFrame(columns=["_row", "column", "value", "reason"])
    if stored.empty:
        return empty, []
    stored = stored.set_index(key)
    clash = good[good[key].isin(stored.index)]
    before = stored.loc[clash[key].to_numpy()]
    differs = pd.Series(False, index=clash.index)
    first_difference = pd.Series("", index=clash.index, dtype=object)
    for spec in contract.fields:
        if spec.name == key:
            continue
        new, old = clash[spec.name].reset_index(drop=True), before[spec.name].reset_index(drop=True)
        if spec.kind in ("int", "float"):
            new, old = pd.to_numeric(new, errors="coerce"), pd.to_numeric(old, errors="coerce")
        elif spec.kind == "datetime":
            new, old = pd.to_datetime(new, errors="coerce"), pd.to_datetime(old, errors="coerce")
        elif spec.kind == "bool":
            new, old = new.map(lambda v: None if v is None or v != v else bool(v)), old.map(lambda v: None if v is None or v != v else bool(v))
        same = (new == old) | (new.isna() & old.isna())
        changed = pd.Series(~same.to_numpy(), index=clash.index)
        for i in np.flatnonzero(changed.to_numpy() & ~differs.to_numpy()):
            first_difference.iat[i] = f"{spec.name} was {_plain(old.iat[i])!r}, now {_plain(new.iat[i])!r}"
        differs |= changed
    conflicts = clash[differs]
    dates = before["business_date"].to_numpy()[differs.to_numpy()]
    problems = pd.DataFrame({"_row": conflicts["_row"].to_numpy(), "column": key, "value": conflicts[key].to_numpy(),
                             "reason": [f"id already loaded on {d} and this record differs ({what}): a record is never "
                                        f"changed in place (send a correction under its own id, or re-deliver {d})"
                                        for d, what in zip(dates, first_difference[differs])]})
    return (problems if len(problems) else empty), clash.loc[~differs, "_row"].tolist()


def _plain(value):
    """A numpy or pandas scalar as the Python value it is (for messages)."""
    return value.item() if hasattr(value, "item") and not isinstance(value, str) else value


def column_notes(contract, columns, missing_required: list[str]) -> str | None:
    """What a file's header decided, in words: optional columns it lacks (their values load empty for every row) and
    columns the contract does not know (not loaded; kept in the raw record of any quarantined row). None when the
    header is the contract's; a file lacking a required column is quarantined whole instead (said there)."""
    if missing_required:
        return None
    present = set(columns) - {"_row"}
    absent = [f.name for f in contract.fields if not f.required and f.name not in present]
    unknown = sorted(present - set(contract.columns))
    parts = []
    if absent:
        parts.append(f"optional column(s) {', '.join(absent)} absent from the file: loaded empty for every row")
    if unknown:
        parts.append(f"column(s) {', '.join(unknown)} not in the {contract.entity} contract: not loaded")
    return "; ".join(parts) or None


def storable(text: str | None) -> str | None:
    """Text any warehouse can hold: a NUL character or a lone surrogate written as an escape, not an error."""
    if text is None:
        return None
    return text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")


def _quarantine_records(entity, business_date, name, frame, bad, unparsed) -> list[dict]:
    records = [
        dict(business_date=business_date, entity=entity, source_file=name, row_number=row, column_name=None,
             value=None, reason=reason, raw_record=storable(raw_text[:10_000]))
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
                 column_name=first["column"], value=None if value is None or value != value else storable(str(value)[:MAX_VALUE_CHARS]),
                 reason=reason, raw_record=storable(json.dumps(raw, ensure_ascii=False, default=repr)[:10_000]))
        )
    records.sort(key=lambda r: r["row_number"])
    return records
