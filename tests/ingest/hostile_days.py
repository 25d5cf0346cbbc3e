"""One-fault landing days, generated: a clean day with exactly one thing wrong, for every class of hostile delivery
(issue 15). ``python -m tests.ingest.hostile_days OUT`` writes them as folders; the suite builds them in a temporary
folder and checks each one (``tests/ingest/test_hostile_days.py``).

Each fault is a function that damages one entity's delivery of a clean day in place and says whether the day must be
held at the quality gate (a rejected entry or an empty delivery) or may publish (bad records quarantined, the rest
loaded).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Callable

DAY = dt.date(2026, 11, 20)
CLEAN = {
    "merchants": "merchant_id,name,shop_type,category,city,registered_at,deposit,verified\n"
                 "M1,廣州優品店,individual,美妆护肤,广州,2025-01-01T10:00:00+08:00,2000,true\n"
                 "M2,Ｓｈｏｐ２,brand_store,箱包,上海,2024-05-01T10:00:00,50000,false\n",
    "listings": "listing_id,merchant_id,title,description,brand,category,price,listed_at\n"
                "L1,M1,精华液 正品,,,美妆护肤,199,2026-11-01T09:00:00\nL2,M2,單肩包,,Coach,箱包,1999,2026-11-02T09:00:00\n",
    "orders": "order_id,merchant_id,listing_id,buyer_id,amount,quantity,status,refund_reason,shipped_late,ordered_at\n"
              + "".join(f"O{i},M{1 + i % 2},L{1 + i % 2},B{i},{50 + i},1,completed,,false,2026-11-20T0{i % 10}:00:00\n" for i in range(30)),
    "reviews": "review_id,merchant_id,listing_id,order_id,reviewer_id,reviewer_registered_at,rating,text,created_at\n"
               + "".join(f"R{i},M{1 + i % 2},L{1 + i % 2},O{i},U{i},,{1 + i % 5},第{i}条 质量不错,2026-11-20T1{i % 10}:00:00\n"
                         for i in range(30)),
    "complaints": "complaint_id,merchant_id,order_id,listing_id,buyer_id,text,status,created_at\n"
                  "C1,M1,O1,L1,B1,收到的是假货,open,2026-11-20T12:00:00\n",
    "spot_checks": "check_id,listing_id,merchant_id,result,notes,checked_at\n",
    "agent_links": "link_id,recruiter_id,recruit_id,entry_fee,joined_at\n",
    "moderation_labels": "label_id,entity_type,entity_id,label,analyst,note,decided_at\n",
}
Fault = Callable[[Path], bool]  # damages the landing root of one day; returns True when the day must be held


def write_clean_day(root: Path) -> None:
    for entity, text in CLEAN.items():
        folder = root / entity / DAY.isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "part-000.csv").write_text(text, encoding="utf-8")


def _file(root: Path, entity: str, name: str = "part-000.csv") -> Path:
    return root / entity / DAY.isoformat() / name


def _edit(entity: str, change: Callable[[str], str]) -> Fault:
    def fault(root: Path) -> bool:
        path = _file(root, entity)
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
        return False
    return fault


def _replace_line(number: int, line: str) -> Callable[[str], str]:
    def change(text: str) -> str:
        lines = text.split("\n")
        lines[number] = line
        return "\n".join(lines)
    return change


def _as_jsonl(entity: str, damage: Callable[[list[str]], list[str]], held: bool = False) -> Fault:
    """The entity's clean rows as JSONL (one object per line), then ``damage`` applied to the lines."""
    def fault(root: Path) -> bool:
        import csv
        import io

        path = _file(root, entity)
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
        lines = [json.dumps({k: (v if v != "" else None) for k, v in row.items()}, ensure_ascii=False) for row in rows]
        path.unlink()
        _file(root, entity, "part-000.jsonl").write_text("\n".join(damage(lines)) + "\n", encoding="utf-8")
        return held
    return fault


def _as_parquet(entity: str, extra: Callable | None = None) -> Fault:
    def fault(root: Path) -> bool:
        import pandas as pd
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = _file(root, entity)
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        path.unlink()
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if extra is not None:
            table = extra(table)
        pq.write_table(table, _file(root, entity, "part-000.parquet"))
        return False
    return fault


def _extra_entry(entity: str, make: Callable[[Path], None]) -> Fault:
    def fault(root: Path) -> bool:
        make(root / entity / DAY.isoformat())
        return True
    return fault


def _header_only(entity: str) -> Fault:
    def fault(root: Path) -> bool:
        path = _file(root, entity)
        path.write_text(path.read_text(encoding="utf-8").split("\n")[0] + "\n", encoding="utf-8")
        return True  # an empty delivery on a day that normally has rows
    return fault


def faults() -> dict[str, Fault]:
    out: dict[str, Fault] = {}
    for entity, row in (("orders", 3), ("reviews", 5)):
        header = CLEAN[entity].split("\n")[0]
        width = header.count(",") + 1
        out |= {
            f"{entity}: an all-empty record": _edit(entity, _replace_line(row, "," * (width - 1))),
            f"{entity}: a record with one field too few": _edit(entity, lambda t, r=row: _replace_line(r, t.split("\n")[r].rsplit(",", 1)[0])(t)),
            f"{entity}: a record with one field too many": _edit(entity, lambda t, r=row: _replace_line(r, t.split("\n")[r] + ",x")(t)),
            f"{entity}: a NUL byte in a value": _edit(entity, lambda t, r=row: _replace_line(r, t.split("\n")[r].replace("M", "M\x00", 1))(t)),
            f"{entity}: a partial date": _edit(entity, lambda t: t.replace("2026-11-20T03:00:00", "2026-11", 1).replace("2026-11-20T13:00:00", "2026-11", 1)),
            f"{entity}: an hour offset among naive times": _edit(entity, lambda t: t.replace("T04:00:00", "T04:00:00+08", 1).replace("T14:00:00", "T14:00:00+08", 1)),
            f"{entity}: invalid UTF-8 bytes": _bytes(entity, lambda b: b.replace("条".encode(), b"\xff\xfe", 1) if "条".encode() in b else b.replace(b"B2", b"B\xff2", 1)),
            f"{entity}: a duplicate id in the file": _edit(entity, lambda t, r=row: t + t.split("\n")[r] + "\n"),
            f"{entity}: the key column renamed": _edit(entity, lambda t, e=entity: t.replace(f"{e[:-1]}_id", "id", 1)),
            f"{entity}: semicolons between fields": _edit(entity, lambda t: t.replace(",", ";")),
            f"{entity}: tabs between fields": _edit(entity, lambda t: t.replace(",", "\t")),
            f"{entity}: a byte-order mark": _bytes(entity, lambda b: b"\xef\xbb\xbf" + b),
            f"{entity}: Windows line endings": _bytes(entity, lambda b: b.replace(b"\n", b"\r\n")),
            f"{entity}: UTF-16": _bytes(entity, lambda b: b.decode("utf-8").encode("utf-16")),
            f"{entity}: an optional column missing": _drop_column(entity, "listing_id"),
            f"{entity}: an unknown column": _edit(entity, lambda t: "\n".join(line + ",x" if line else line for line in t.split("\n"))),
            f"{entity}: header only on a busy day": _header_only(entity),
            f"{entity}: JSONL with a line separator in a record": _as_jsonl(entity, lambda ls: [ls[0][:-1] + ', "note": "a\u2028b"}'] + ls[1:]),
            f"{entity}: JSONL with a repeated key": _as_jsonl(entity, lambda ls: [ls[0][:-1] + ', "merchant_id": "M2"}'] + ls[1:]),
            f"{entity}: JSONL with an object for a value": _as_jsonl(entity, lambda ls: [ls[0].replace('"M1"', '{"id": "M1"}', 1).replace('"M2"', '{"id": "M2"}', 1)] + ls[1:]),
            f"{entity}: JSONL with a list for a value": _as_jsonl(entity, lambda ls: [ls[0].replace('"M1"', '["M1"]', 1).replace('"M2"', '["M2"]', 1)] + ls[1:]),
            f"{entity}: JSONL with a lone surrogate": _as_jsonl(entity, lambda ls: [ls[0].replace('"M1"', '"M1\\ud800"', 1).replace('"M2"', '"M2\\ud800"', 1)] + ls[1:]),
            f"{entity}: JSONL with a blank line": _as_jsonl(entity, lambda ls: ls[:2] + [""] + ls[2:]),
            f"{entity}: JSONL with a broken line": _as_jsonl(entity, lambda ls: ls[:1] + [ls[1][:-3]] + ls[2:]),
            f"{entity}: Parquet": _as_parquet(entity),
            f"{entity}: Parquet with a list column": _as_parquet(entity, lambda t: t.append_column("tags", __import__("pyarrow").array([["a"]] * t.num_rows))),
            f"{entity}: Parquet with binary text": _as_parquet(entity, _binary_column),
            f"{entity}: a directory among the files": _extra_entry(entity, lambda folder: (folder / "part-001.csv").mkdir()),
            f"{entity}: a symbolic link": _extra_entry(entity, lambda folder: (folder / "part-001.csv").symlink_to(folder / "part-000.csv")),
            f"{entity}: a hidden file": _extra_entry(entity, lambda folder: (folder / ".part-001.csv").write_text("x")),
            f"{entity}: an unknown file type": _extra_entry(entity, lambda folder: (folder / "part-001.xlsx").write_bytes(b"PK\x03\x04")),
            f"{entity}: a corrupt Parquet file": _extra_entry(entity, lambda folder: (folder / "part-001.parquet").write_bytes(b"PAR1 junk")),
            f"{entity}: a file name that is not UTF-8": _extra_entry(entity, lambda folder: (folder / os.fsdecode(b"part-\xff.csv")).write_text("x")),
        }
    return out


def _bytes(entity: str, change: Callable[[bytes], bytes]) -> Fault:
    def fault(root: Path) -> bool:
        path = _file(root, entity)
        path.write_bytes(change(path.read_bytes()))
        return False
    return fault


def _drop_column(entity: str, column: str) -> Fault:
    def fault(root: Path) -> bool:
        import pandas as pd

        path = _file(root, entity)
        pd.read_csv(path, dtype=str, keep_default_na=False).drop(columns=column).to_csv(path, index=False)
        return False
    return fault


def _binary_column(table):
    import pyarrow as pa

    column = table.column_names.index("merchant_id")
    values = [v.encode("utf-8") for v in table.column("merchant_id").to_pylist()]
    return table.set_column(column, "merchant_id", pa.array(values, type=pa.binary()))


def build(out: Path) -> dict[str, tuple[Path, bool]]:
    """Every one-fault day under ``out``: name → (landing root, must the day be held)."""
    days = {}
    for number, (name, fault) in enumerate(faults().items()):
        root = out / f"day-{number:03d}"
        write_clean_day(root)
        days[name] = (root, fault(root))
    return days


if __name__ == "__main__":  # pragma: no cover - a helper for looking at the files by hand
    for name, (root, held) in build(Path(sys.argv[1])).items():
        print(f"{root.name}\t{'held' if held else 'publishes'}\t{name}")
