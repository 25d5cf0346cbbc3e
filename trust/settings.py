"""One typed settings object, built from environment variables with embedded defaults.

Nothing here is read at import time: callers build ``Settings.from_env()`` and pass it on.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHIPPED_DATA = PROJECT_ROOT / "data"


@dataclass(frozen=True)
class Settings:
    """Where the pipeline reads and writes, and the knobs that change its results.

    ``db_url`` is any SQLAlchemy URL; the default is an embedded SQLite file under ``data_dir``.
    """

    data_dir: Path
    db_url: str
    landing_dir: Path
    reports_dir: Path
    timezone: str = "Asia/Shanghai"
    thresholds_path: Path = field(default=SHIPPED_DATA / "thresholds.toml")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        data_dir = Path(env.get("TRUST_DATA_DIR", "var")).expanduser().resolve()
        db_url = env.get("TRUST_DB_URL") or f"sqlite:///{data_dir / 'warehouse.db'}"
        landing = Path(env.get("TRUST_LANDING_DIR", data_dir / "landing")).expanduser().resolve()
        reports = Path(env.get("TRUST_REPORTS_DIR", data_dir / "reports")).expanduser().resolve()
        thresholds = Path(env.get("TRUST_THRESHOLDS", SHIPPED_DATA / "thresholds.toml")).expanduser().resolve()
        settings = cls(
            data_dir=data_dir,
            db_url=db_url,
            landing_dir=landing,
            reports_dir=reports,
            timezone=env.get("TRUST_TIMEZONE", "Asia/Shanghai"),
            thresholds_path=thresholds,
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"TRUST_TIMEZONE={self.timezone!r} is not a known IANA time zone") from exc
        if not self.thresholds_path.is_file():
            raise ValueError(f"TRUST_THRESHOLDS={str(self.thresholds_path)!r}: no such file")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)
