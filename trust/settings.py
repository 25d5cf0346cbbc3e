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
SHIPPED_MODELS = PROJECT_ROOT / "models"
MODEL_DETECTORS = ("reviews", "listings", "complaints")  # the detectors with a trained model (agents is a legal rule)


@dataclass(frozen=True)
class Settings:
    """Where the pipeline reads and writes, and the knobs that change its results.

    ``db_url`` is any SQLAlchemy URL; the default is an embedded SQLite file under ``data_dir``. ``model_store`` is
    where trained models are kept by version (a folder, or an fsspec URL such as ``s3://bucket/models``);
    ``seed_models`` holds the shipped models that become the first champions; ``rules_mode`` names detectors an
    operator has chosen to run on their rules, without a model.
    """

    data_dir: Path
    db_url: str
    landing_dir: Path
    reports_dir: Path
    timezone: str = "Asia/Shanghai"
    thresholds_path: Path = field(default=SHIPPED_DATA / "thresholds.toml")
    model_store: str = ""  # empty: <data_dir>/model_store
    seed_models: Path = field(default=SHIPPED_MODELS)
    rules_mode: frozenset[str] = frozenset()
    shards: int = 1  # merchant shards of the grading stages (metrics, credit scores, grades); 1: one task each

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
            model_store=env.get("TRUST_MODEL_STORE", str(data_dir / "model_store")),
            seed_models=Path(env.get("TRUST_SEED_MODELS", SHIPPED_MODELS)).expanduser().resolve(),
            rules_mode=frozenset(n.strip() for n in env.get("TRUST_RULES_MODE", "").split(",") if n.strip()),
            shards=_whole_number(env, "TRUST_SHARDS", 1),
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
        if not 1 <= self.shards <= 4096:
            raise ValueError(f"TRUST_SHARDS={self.shards}: give a whole number of merchant shards from 1 to 4096")
        unknown = sorted(self.rules_mode - set(MODEL_DETECTORS))
        if unknown:
            raise ValueError(f"TRUST_RULES_MODE names {', '.join(unknown)}: only {', '.join(MODEL_DETECTORS)} have a "
                             "model to go without")

    @property
    def store_url(self) -> str:
        return self.model_store or str(self.data_dir / "model_store")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)


def _whole_number(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{name}={text!r} is not a whole number") from None
