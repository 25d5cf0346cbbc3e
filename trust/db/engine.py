"""Engines, sessions and the two write patterns every stage uses: upsert by key and partition replace."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine, and_, create_engine, delete, event, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from trust.db.tables import Base

log = logging.getLogger(__name__)

_ENGINES: dict[str, Engine] = {}
CHUNK_ROWS = 20_000


def get_engine(db_url: str) -> Engine:
    """Return a process-wide engine for ``db_url`` (SQLite files get WAL and a generous lock timeout)."""
    engine = _ENGINES.get(db_url)
    if engine is not None:
        return engine
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 120})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        # Recycle instead of pinging on every checkout: a ping is a round trip on the service's hot path.
        engine = create_engine(url, pool_recycle=1800, pool_size=10, max_overflow=20)
    _ENGINES[db_url] = engine
    return engine


SQLITE_CACHE_MB = 256  # per connection, taken as pages are touched; TRUST_SQLITE_CACHE_MB overrides it


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # SQLite's default page cache is 2 MB: a night's inserts into the indexes of a 2M-row orders table then read the
    # same pages from disk again and again (1M-review warehouse: a day's ingest inserted in 3.4 s with it, 1.9 s here).
    megabytes = int(os.environ.get("TRUST_SQLITE_CACHE_MB", SQLITE_CACHE_MB))
    cursor.execute(f"PRAGMA cache_size=-{megabytes * 1024}")
    cursor.close()


def dispose_engines() -> None:
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()


_AS_OF: ContextVar[dt.date | None] = ContextVar("trust_as_of", default=None)


@contextmanager
def reading_as_of(business_date: dt.date) -> Iterator[None]:
    """Within this block every session reads the input tables as they were known on ``business_date``: rows delivered
    later are invisible (see :func:`session_scope`). Stages after ingest run inside it, so any past date reruns on
    exactly the records it had, whatever was loaded since."""
    token = _AS_OF.set(business_date)
    try:
        yield
    finally:
        _AS_OF.reset(token)


@contextmanager
def session_scope(db_url: str) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any error. Inside :func:`reading_as_of`,
    the transaction starts by shadowing each input table with a temporary view of its rows delivered up to that date
    (unqualified names resolve to temporary objects first on SQLite and PostgreSQL, so every read, joins included,
    sees the world as of the date), and drops the views before it commits: DDL is transactional on both, so they
    never outlive the transaction, and a rollback takes them too."""
    factory = sessionmaker(bind=get_engine(db_url), expire_on_commit=False)
    as_of = _AS_OF.get()
    with factory() as session:
        with session.begin():
            names = _shadow_inputs(session, as_of) if as_of is not None else []
            yield session
            for name in names:
                session.execute(text(f"DROP VIEW {name}"))
        refresh_statistics(session, session.info.pop(BULK_WRITTEN, {}))


BULK_WRITTEN = "trust_bulk_written"  # session.info key: table name → rows the transaction put in by the bulk path
ANALYZE_AFTER_ROWS = 1000
ANALYZE_SHARE = 0.1  # autovacuum's default analyze scale factor


def refresh_statistics(session: Session, written: dict[str, int]) -> None:
    """After a commit on PostgreSQL, ``ANALYZE`` the tables a transaction bulk-loaded enough to make the planner's
    statistics stale, by autovacuum's measure (``ANALYZE_AFTER_ROWS`` + ``ANALYZE_SHARE`` of the table), applied at once
    instead of later, or never where autovacuum is off: this transaction wrote that many rows, or the table has grown by
    that share of its pages since its last analysis (small loads adding up). Without it a new table's row counts lagged
    the data and a shard's ``merchant_id IN (…)`` turned into thousands of index probes (a 4-shard metrics task: minutes
    instead of seconds at 1M reviews); a night adding a thirtieth of a large table's rows is not analysed every time (a
    second of a 1M-review ingest). Sizes, not the statistics views: those receive a transaction's counts up to a second
    after its commit, before or after an ANALYZE, which would make the rule depend on timing. ``SKIP_LOCKED``: a table
    another task is analysing right now is left to it. In its own autocommit connection, after the commit (an ANALYZE
    inside the transaction would hold its lock until the end)."""
    candidates = sorted(name for name, rows in written.items() if rows >= ANALYZE_AFTER_ROWS)
    if not candidates or session.get_bind().dialect.name != "postgresql":
        return
    try:
        with session.get_bind().connect() as connection:
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            sizes = connection.execute(text(
                "SELECT relname, reltuples, relpages, pg_relation_size(oid) / current_setting('block_size')::int "
                "FROM pg_class WHERE relname = ANY(:names) AND relnamespace = to_regnamespace(current_schema())::oid"),
                {"names": candidates}).all()
            stale = {name for name, rows, pages, pages_now in sizes
                     if rows < 0 or written[name] >= ANALYZE_AFTER_ROWS + ANALYZE_SHARE * rows
                     or pages_now > pages * (1 + ANALYZE_SHARE)}
            measured = {row[0] for row in sizes}
            tables = [name for name in candidates if name in stale or name not in measured]
            if tables:
                connection.execute(text("ANALYZE (SKIP_LOCKED) " + ", ".join(f'"{name}"' for name in tables)))
    except Exception as error:  # noqa: BLE001 - statistics only speed reads up; the data is committed
        log.warning("ANALYZE of %s failed (planner statistics may lag): %s", ", ".join(candidates), error)


def _shadow_inputs(session: Session, as_of: dt.date) -> list[str]:
    from trust.db.tables import INPUT_TABLES

    connection = session.connection()
    schema = "main" if connection.dialect.name == "sqlite" else connection.execute(text("SELECT current_schema()")).scalar_one()
    names = [table.__tablename__ for table in INPUT_TABLES.values()]
    temp = "temp" if connection.dialect.name == "sqlite" else "pg_temp"
    for name in names:
        # A transaction that failed on SQLite can leave its views on the pooled connection (the driver does not roll
        # DDL back there): the next reader of another date must not see them, nor trip over them.
        session.execute(text(f"DROP VIEW IF EXISTS {temp}.{name}"))
        session.execute(text(f"CREATE TEMP VIEW {name} AS SELECT * FROM {schema}.{name} "
                             f"WHERE business_date <= '{as_of.isoformat()}'"))
    return names


def _chunks(records: Sequence[dict], size: int = CHUNK_ROWS) -> Iterable[Sequence[dict]]:
    for start in range(0, len(records), size):
        yield records[start : start + size]


def frame_to_records(frame: pd.DataFrame) -> list[dict]:
    """DataFrame → list of dicts with plain Python values (NaN/NaT → None, Timestamps → datetime)."""
    columns, rows = frame_rows(frame)
    return [dict(zip(columns, row)) for row in rows]


def upsert(session: Session, table: type[Base], records: Sequence[dict]) -> int:
    """Insert rows, replacing existing rows with the same primary key. Returns rows written."""
    if not records:
        return 0
    mapper_table = table.__table__
    keys = [column.name for column in mapper_table.primary_key.columns]
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:  # pragma: no cover - other back ends fall back to delete + insert
        dialect_insert = None
    columns = list(records[0].keys())
    for chunk in _chunks(records):
        if dialect_insert is None:
            for record in chunk:
                session.execute(delete(mapper_table).where(*[mapper_table.c[k] == record[k] for k in keys]))
            session.execute(insert(mapper_table), list(chunk))
            continue
        statement = dialect_insert(mapper_table)
        updates = {name: statement.excluded[name] for name in columns if name not in keys}
        statement = statement.on_conflict_do_update(index_elements=keys, set_=updates)
        session.execute(statement, list(chunk))
    return len(records)


def replace_partition(
    session: Session,
    table: type[Base],
    business_date: dt.date,
    records: Sequence[dict] | pd.DataFrame,
    where: Sequence = (),
    **partition_filters: object,
) -> int:
    """Delete the table's rows for ``business_date`` (and any extra equality filters, and the conditions in ``where``:
    a shard's merchants, say), insert ``records``."""
    mapper_table = table.__table__
    condition = [mapper_table.c.business_date == business_date, *where]
    condition += [mapper_table.c[name] == value for name, value in partition_filters.items()]
    session.execute(delete(mapper_table).where(*condition))
    return insert_rows(session, table, records)


def read_by_ids(session: Session, statement, column, ids: Sequence[str], per_statement: int = 100_000) -> pd.DataFrame:
    """:func:`read_frame` of ``statement`` for the rows whose ``column`` is one of ``ids``: on PostgreSQL one array
    parameter per ``per_statement`` ids (``= ANY``: an IN list of 5,000 parameters cost ~0.1 s to plan each), on
    SQLite one JSON array parameter per ``per_statement`` ids (``IN (SELECT value FROM json_each(?))``: IN lists of
    5,000 bound parameters, SQLite's limit being 32,766, cost SQLAlchemy a statement compiled per list). Lookups of a day's ids in a table of
    months pass ``per_statement=10_000``: with 60k ids in one array PostgreSQL plans a sequential scan of the whole
    table (its cost grows with history), with 10k an index scan (0.20 → 0.085 s for 60k new order ids among 1.8M)."""
    parts = []
    ids = list(dict.fromkeys(ids))  # an id asked for twice is one row, however the ids are split into statements
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import String, any_, bindparam
        from sqlalchemy.dialects.postgresql import ARRAY

        for start in range(0, len(ids), per_statement):
            wanted = bindparam("ids", list(ids[start:start + per_statement]), type_=ARRAY(String))
            parts.append(read_frame(session, statement.where(column == any_(wanted))))
    elif session.get_bind().dialect.name == "sqlite":
        from sqlalchemy import bindparam, func, select

        for start in range(0, len(ids), per_statement):
            listed = func.json_each(bindparam("ids", json.dumps(list(ids[start:start + per_statement])))).table_valued("value")
            parts.append(read_frame(session, statement.where(column.in_(select(listed.c.value)))))
    else:  # pragma: no cover - another back end: IN lists
        for start in range(0, len(ids), 5000):
            parts.append(read_frame(session, statement.where(column.in_(list(ids[start:start + 5000])))))
    if not parts:
        return read_frame(session, statement.where(column.in_([])))
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


def frame_rows(frame: pd.DataFrame) -> tuple[list[str], list[tuple]]:
    """(columns, rows as tuples of plain Python values: NaN/NaT → None, Timestamps → datetime) of a frame, read a
    column at a time: no dict per row."""
    columns, lists = frame_columns(frame)
    return columns, list(zip(*lists)) if lists else []


def frame_columns(frame: pd.DataFrame, as_text: Sequence[str] = ()) -> tuple[list[str], list[list]]:
    """(columns, one list of plain Python values per column: NaN/NaT → None, Timestamps → datetime) of a frame.
    Naive datetime columns named in ``as_text`` come as their ``isoformat(" ")`` text instead (see :func:`iso_texts`)."""
    columns = [str(c) for c in frame.columns]
    lists = []
    for name in frame.columns:
        series = frame[name]
        texts = iso_texts(series.to_numpy()) if name in as_text else None
        if texts is not None:
            lists.append(texts)
        elif isinstance(series.dtype, np.dtype) and series.dtype.kind == "M":  # naive: numpy makes the datetimes in C
            lists.append(series.to_numpy(dtype="datetime64[us]").astype(object).tolist())  # NaT → None
        elif pd.api.types.is_datetime64_any_dtype(series):
            lists.append([None if value is pd.NaT or value is None else value.to_pydatetime() for value in series])
        else:
            lists.append(series.astype(object).where(series.notna(), None).tolist())
    return columns, lists


def iso_texts(values: np.ndarray) -> list | None:
    """``value.isoformat(" ")`` of each naive datetime64 value (None for NaT), made by numpy a column at a time: the
    text sqlite3's adapter binds for a datetime and COPY's text format writes for one (microseconds only when not zero).
    None when the values are not naive datetimes of years 1-9999 (the caller converts them one by one)."""
    if not isinstance(values, np.ndarray) or values.dtype.kind != "M":
        return None
    stamps = values.astype("datetime64[us]")
    missing = np.isnat(stamps)
    present = stamps[~missing]
    if len(present) and (present.min() < np.datetime64("0001-01-01") or present.max() >= np.datetime64("10000-01-01")):
        return None
    text = np.datetime_as_string(stamps, unit="us")  # YYYY-MM-DDTHH:MM:SS.ffffff, "NaT" for NaT
    if len(text):
        chars = text.astype("<U26").view(np.uint32).reshape(len(text), 26)
        chars[:, 10] = ord(" ")  # the separator isoformat(" ") writes
        text = chars.view("<U26").reshape(len(text))
    whole = stamps.astype("datetime64[s]") == stamps
    out = np.where(whole, text.astype("<U19"), text).astype(object)
    out[missing] = None
    return out.tolist()


def _written_as_text(session: Session, table: type[Base], frame: pd.DataFrame) -> list[str]:
    """The frame's naive datetime columns that :func:`insert_rows` may hand the driver as their text (the column's type
    converts nothing on the way in): on SQLite and PostgreSQL the text is what the driver would send for the datetime."""
    dialect = session.get_bind().dialect
    if dialect.name not in ("sqlite", "postgresql"):
        return []
    columns = table.__table__.c
    return [name for name in frame.columns
            if name in columns and isinstance(frame[name].dtype, np.dtype) and frame[name].dtype.kind == "M"
            and columns[name].type.bind_processor(dialect) is None]


def _dates_as_text(values: list) -> list:
    """A column of dates (and None) as sqlite3's date adapter binds them (``isoformat()``), each distinct date converted
    once; any other column as it is."""
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if kinds != {dt.date}:
        return values
    text = {value: None if value is None else value.isoformat() for value in dict.fromkeys(values)}
    return [text[value] for value in values]


def _bound(values: list, process) -> list:
    """``process`` (a column type's bind processor) of each value, None kept; a value repeated down the column (a
    partition's business date, a status) is converted once."""
    # A look at the first values decides. Only text, dates and flags of one type are looked up: equal values of other
    # types can differ (0.0 and -0.0, 1 and True), and a column of scores is converted value by value without a table.
    sample = values[:1000]
    kinds = {type(value) for value in sample if value is not None}
    repeats = len(kinds) == 1 and kinds <= {str, dt.date, dt.datetime, bool} and len(set(sample)) * 2 <= len(sample)
    distinct = dict.fromkeys(values) if repeats else values
    if len(distinct) * 2 <= len(values):
        converted = {value: None if value is None else process(value) for value in distinct}
        return [converted[value] for value in values]
    return [None if value is None else process(value) for value in values]


def insert_rows(session: Session, table: type[Base], records: Sequence[dict] | pd.DataFrame) -> int:
    """Plain inserts (the caller has deleted what they replace) by the database's bulk path: ``COPY FROM STDIN`` on
    PostgreSQL, the driver's ``executemany`` of one prepared statement on SQLite, in the session's transaction.
    Values are converted by each column's SQLAlchemy type first, so they are stored exactly as an ORM insert would
    store them. ``records``: dicts, or a DataFrame (read a column at a time, no dict per row). Returns rows written."""
    if isinstance(records, pd.DataFrame):
        columns, lists = frame_columns(records, as_text=_written_as_text(session, table, records))
    else:
        columns = list(records[0].keys()) if records else []
        lists = [[record[name] for record in records] for name in columns]
    if not len(records):
        return 0
    for name, (source, derive) in getattr(table, "__derived_columns__", {}).items():
        if name not in columns and source in columns:  # a column computed from another (merchants.shard_key)
            columns.append(name)
            lists.append(derive(lists[columns.index(source)]))
    mapper_table = table.__table__
    connection = session.connection()
    dialect = connection.dialect
    # Converted a column at a time (only the columns whose type has a bind processor), then zipped into rows once.
    for position, name in enumerate(columns):
        process = mapper_table.c[name].type.bind_processor(dialect)
        if process is not None:
            lists[position] = _bound(lists[position], process)
    count = len(lists[0]) if lists else 0
    written = session.info.setdefault(BULK_WRITTEN, {})
    written[mapper_table.name] = written.get(mapper_table.name, 0) + count
    driver = connection.connection.driver_connection
    if dialect.name == "postgresql":
        _copy_rows(driver, mapper_table.name, columns, lists)
        return count
    if dialect.name == "sqlite":  # what sqlite3's own adapters would bind, made once per distinct date
        lists = [_dates_as_text(values) for values in lists]
    rows = plain = list(zip(*lists))
    if dialect.name == "sqlite":
        cursor = driver.cursor()
        try:
            cursor.executemany(f'INSERT INTO "{mapper_table.name}" ({", ".join(chr(34) + c + chr(34) for c in columns)}) '
                               f'VALUES ({", ".join("?" for _ in columns)})', rows)
        finally:
            cursor.close()
    else:  # pragma: no cover - another back end: SQLAlchemy's executemany
        for chunk in _chunks([dict(zip(columns, row)) for row in plain]):
            session.execute(insert(mapper_table), list(chunk))
    return len(plain)


def store_computed(session: Session, table: type[Base], rows: pd.DataFrame, stored_before: Sequence[bool]) -> None:
    """Rows computed again for keys some of which the table already holds (``stored_before``, row for row): the new
    keys go in by the bulk path, the others replace their stored row."""
    stored_before = pd.Series(stored_before, index=rows.index, dtype=bool)
    insert_rows(session, table, rows[~stored_before])
    upsert(session, table, frame_to_records(rows[stored_before]))


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, float):
        return float.__repr__(value)  # numpy's float64 repr is np.float64(...)
    return str(value).translate(_COPY_ESCAPES)


def _copy_column(values: list) -> list[str]:
    """:func:`_copy_text` of each value of a column, with the work done a column at a time where the column holds one
    type: floats by their repr, text escaped only when it holds a character COPY escapes (tested on the whole column
    at once), the rest value by value."""
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if len(kinds) != 1:
        return [_copy_text(value) for value in values]
    kind = kinds.pop()
    if kind is float:
        text = float.__repr__
    elif kind is str:
        whole = "".join(value for value in values if value is not None)
        if not any(ch in whole for ch in "\\\t\n\r"):
            return ["\\N" if value is None else value for value in values]
        text = _copy_escaped
    elif kind is int or kind is dt.date or kind is dt.datetime:  # str of a datetime is isoformat(sep=" ")
        text = str
    elif kind is bool:
        return ["\\N" if value is None else "t" if value else "f" for value in values]
    else:
        return [_copy_text(value) for value in values]
    return ["\\N" if value is None else text(value) for value in values]


def _copy_escaped(value: str) -> str:
    """Text in COPY's text format (what ``translate(_COPY_ESCAPES)`` gives, without a lookup per character)."""
    if "\\" in value:
        value = value.replace("\\", "\\\\")
    if "\t" in value:
        value = value.replace("\t", "\\t")
    if "\n" in value:
        value = value.replace("\n", "\\n")
    if "\r" in value:
        value = value.replace("\r", "\\r")
    return value


COPY_CHUNK = 50_000  # rows formatted at a time: the server takes in one chunk while the next is formatted
COPY_READ = 1 << 20  # bytes handed to the driver per read


class _ChunkFeed:
    """A file-like reader for ``copy_expert`` fed by a producer thread that formats the rows a chunk at a time, so
    Python formats chunk k+1 (on one core) while PostgreSQL parses and indexes chunk k (on another): the driver drops
    the GIL while it sends and waits. The producer's error is raised here, in the thread that runs the COPY (the driver
    reports it as a cancelled COPY; :func:`_copy_rows` raises the producer's own error instead)."""

    _END = object()

    def __init__(self, columns: list[list], rows: int):
        import queue
        import threading

        self._lists, self._rows = columns, rows
        self._chunks: queue.Queue = queue.Queue(maxsize=2)
        self._stop = threading.Event()
        self._pending = memoryview(b"")
        self.error: BaseException | None = None  # the producer's failure, once read
        self._thread = threading.Thread(target=self._produce, name="copy-format", daemon=True)
        self._thread.start()

    def _put(self, item) -> bool:
        import queue

        while not self._stop.is_set():
            try:
                self._chunks.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self) -> None:
        try:
            for start in range(0, self._rows, COPY_CHUNK):
                texts = [_copy_column(values[start:start + COPY_CHUNK]) for values in self._lists]
                if not self._put(("\n".join(map("\t".join, zip(*texts))) + "\n").encode("utf-8")):
                    return
            self._put(self._END)
        except BaseException as error:  # noqa: BLE001 - handed to the COPY's thread, which raises it
            self._put(error)

    def read(self, size: int = COPY_READ) -> bytes:
        if not len(self._pending):
            item = self._chunks.get()
            if item is self._END:
                self._chunks.put(self._END)  # a second read at the end sees the end again
                return b""
            if isinstance(item, BaseException):
                self.error = item
                raise item
            self._pending = memoryview(item)
        piece, self._pending = self._pending[:size], self._pending[size:]
        return bytes(piece)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


def _copy_rows(driver, table_name: str, columns: list[str], lists: list[list]) -> None:
    """COPY the rows given as one list of values per column (bound values, as :func:`insert_rows` has them), in one
    statement, formatted a chunk at a time by a producer thread while the server takes in the chunk before."""
    quoted = ", ".join(f'"{c}"' for c in columns)
    rows = len(lists[0]) if lists else 0
    if not rows:
        return
    feed = _ChunkFeed(lists, rows)
    cursor = driver.cursor()
    try:
        cursor.copy_expert(f'COPY "{table_name}" ({quoted}) FROM STDIN', feed, size=COPY_READ)
    except Exception as error:
        if feed.error is not None:
            raise feed.error from error
        raise
    finally:
        feed.close()
        cursor.close()


def read_frame(session: Session, statement) -> pd.DataFrame:
    """Run a SELECT in the caller's session (and transaction) and return a DataFrame.

    Executes at the Core level and hands pandas the rows as plain tuples in one call (``from_records`` converts them
    in C: about twice as fast as transposing them into lists first at a million rows, with the same dtypes).
    """
    connection = session.connection()
    result = connection.execute(statement)
    columns = list(result.keys())
    if _raw_rows_are_final(connection.dialect, statement):
        rows = result.cursor.fetchall()  # the driver's own tuples: no Row built per row (a second a million rows)
        result.close()
    else:
        rows = list(map(tuple, result.fetchall()))  # plain tuples: pandas probes a SQLAlchemy Row for named fields slowly
    if not rows:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame.from_records(rows, columns=columns, coerce_float=False)


def _raw_rows_are_final(dialect, statement) -> bool:
    """Whether the driver's rows are what SQLAlchemy would return: on SQLite, a SELECT of columns whose types convert
    nothing on the way out (text and numbers; not dates, flags or decimals)."""
    if dialect.name != "sqlite" or not hasattr(statement, "selected_columns"):
        return False
    return all(column.type.dialect_impl(dialect).result_processor(dialect, None) is None for column in statement.selected_columns)


def json_lists(values: Sequence, where: np.ndarray | None = None) -> list:
    """Stored JSON texts parsed, where ``where`` holds (every value without it; None elsewhere), in one
    ``json.loads`` call: one call per value costs about 0.5 s per 60k values, a night's listings or reviews."""
    values = np.asarray(values, dtype=object)
    rows = np.arange(len(values)) if where is None else np.flatnonzero(where)
    out = [None] * len(values)
    for row, parsed in zip(rows.tolist(), json.loads("[" + ",".join(values[rows].tolist()) + "]")):
        out[row] = parsed
    return out


def read_columns(session: Session, statement) -> pd.DataFrame:
    """:func:`read_frame` of a SELECT of text and number columns only (no dates, no flags), for large reads: on
    PostgreSQL the rows come by ``COPY (SELECT …) TO STDOUT`` as CSV, parsed by Arrow's CSV reader (about 3× faster
    than the driver's row tuples at a million rows). Numbers come as float64 (int64 for whole-number columns without
    a NULL), text as text, NULL as missing; values equal read_frame's (floats are exact: PostgreSQL writes the
    shortest text that reads back to the same double). Elsewhere: :func:`read_frame`."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return read_frame(session, statement)
    import io

    import pyarrow as pa
    import pyarrow.csv as pa_csv

    columns = list(statement.selected_columns)
    names = [column.key for column in columns]
    types = {}
    for name, column in zip(names, columns):
        kind = column.type.python_type
        if kind not in (str, int, float, dt.datetime):
            raise TypeError(f"read_columns reads text, numbers and times; column {name} is {column.type}")
        types[name] = {str: pa.string(), int: pa.int64(), float: pa.float64(), dt.datetime: pa.timestamp("us")}[kind]
    from sqlalchemy.dialects.postgresql.base import PGDialect

    # Values written into the text (COPY takes no parameters), by a PostgreSQL dialect that does not double a % sign
    # for the driver's parameter style: COPY's text goes to the server as it is.
    sql = str(statement.compile(dialect=PGDialect(paramstyle="named"), compile_kwargs={"literal_binds": True}))
    buffer = io.BytesIO()
    cursor = connection.connection.driver_connection.cursor()
    try:  # NULL as \N (unquoted); a text that is \N itself comes quoted and stays text
        cursor.copy_expert(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, NULL '\\N', ENCODING 'UTF8')", buffer)
    finally:
        cursor.close()
    if not buffer.tell():
        return pd.DataFrame(columns=names)
    buffer.seek(0)
    table = pa_csv.read_csv(buffer, read_options=pa_csv.ReadOptions(column_names=names),
                            convert_options=pa_csv.ConvertOptions(column_types=types, null_values=["\\N"],
                                                                  strings_can_be_null=True, quoted_strings_can_be_null=False))
    return table.to_pandas()


def read_table(session: Session, table: type[Base], *conditions) -> pd.DataFrame:
    """All columns of ``table`` for rows matching ``conditions``, as a DataFrame."""
    from sqlalchemy import select

    return read_frame(session, select(*table.__table__.columns).where(*conditions))


def days_between(column, first_day: dt.date, last_day: dt.date):
    """``column`` (a timestamp) falls on one of the days ``first_day`` … ``last_day``, both included."""
    return and_(column >= dt.datetime.combine(first_day, dt.time()),
                column < dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time()))


def per_window(frame: pd.DataFrame, columns: tuple[str, ...], windows: int) -> list[pd.DataFrame]:
    """Split an aggregate with one row per merchant and its columns suffixed _0, _1 … by window into a frame per window
    (index merchant_id), each with the merchants that had a row in that window (its first column above zero), as a
    query per window would give."""
    frame = frame.set_index("merchant_id")
    out = []
    for i in range(windows):
        part = frame[[f"{c}_{i}" for c in columns]].set_axis(list(columns), axis=1)
        out.append(part[part[columns[0]].fillna(0) > 0].astype(float))
    return out
