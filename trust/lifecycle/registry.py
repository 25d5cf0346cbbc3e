"""The model registry: one row per trained model (``model_registry``), one champion per detector, and the version each
night pins at its start (``model_pins``) so a run never mixes two versions of one detector.

The shipped models (``models/<detector>``) become the first champions the first time a night runs. A champion that is
missing or cannot be loaded fails the detector's stage with a message naming the file and the fix, unless the operator
chose rules mode for that detector (``TRUST_RULES_MODE``), whose scores carry a version of their own (``rules:…``).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from pathlib import Path

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from trust.db.engine import read_frame, replace_partition, session_scope
from trust.db.tables import ModelPin, ModelRecord
from trust.detect import registry
from trust.detect.artifacts import CARD_FILE, MODEL_FILE
from trust.errors import ModelUnavailable
from trust.lifecycle.store import store_of
from trust.settings import MODEL_DETECTORS, Settings

RULES = "rules"


def rules_version(detector: str) -> str:
    """The version on scores made without a model: the rules' own (the reseller-network detector is only rules)."""
    plugin = registry.get(detector)
    return plugin.rules_version if plugin.model_loader is None else f"{RULES}:{plugin.rules_version}"


def _now(settings: Settings) -> dt.datetime:
    return dt.datetime.now(settings.tz).replace(tzinfo=None, microsecond=0)


def _audit(session: Session, settings: Settings, actor: str, action: str, **detail) -> None:
    from trust.analyst import record_audit

    record_audit(session, _now(settings), actor, action, None, **detail)


def check_detector(detector: str) -> None:
    if detector not in MODEL_DETECTORS:
        raise ValueError(f"{detector!r} has no trained model; detectors with models: {', '.join(MODEL_DETECTORS)}")


def register(session: Session, settings: Settings, detector: str, source: Path, *, status: str, trained_by: str,
             window: tuple[dt.date | None, dt.date | None] = (None, None), label_counts: dict | None = None,
             metrics: dict | None = None, profile: dict | None = None) -> ModelRecord:
    """Keep the model folder ``source`` in the store and add its row (the same content is the same row)."""
    check_detector(detector)
    store = store_of(settings)
    version = store.put(detector, source)
    existing = session.get(ModelRecord, (detector, version))
    if existing is not None:
        return existing
    card = json.loads((source / CARD_FILE).read_text(encoding="utf-8")) if (source / CARD_FILE).exists() else {}
    record = ModelRecord(detector=detector, version=version, artifact_uri=store.uri(detector, version), status=status,
                         trained_at=_now(settings), trained_by=trained_by, window_start=window[0], window_end=window[1],
                         label_counts=json.dumps(label_counts or {}, ensure_ascii=False),
                         features=json.dumps(card.get("features", []), ensure_ascii=False),
                         metrics=json.dumps(metrics if metrics is not None else card.get("metrics", {}), ensure_ascii=False, default=str),
                         library_versions=json.dumps(card.get("library_versions", {})),
                         profile=json.dumps(profile) if profile is not None else None)
    session.add(record)
    session.flush()
    return record


def champion(session: Session, detector: str) -> ModelRecord | None:
    return session.execute(select(ModelRecord).where(ModelRecord.detector == detector, ModelRecord.status == "champion")).scalar_one_or_none()


def ensure_champions(settings: Settings) -> dict[str, str]:
    """Every detector that runs on a model has a champion: the shipped model is registered as the first one."""
    out = {}
    with session_scope(settings.db_url) as session:
        for detector in MODEL_DETECTORS:
            if detector in settings.rules_mode:
                continue
            current = champion(session, detector)
            if current is None:
                seed = settings.seed_models / detector
                if not (seed / MODEL_FILE).exists():
                    raise ModelUnavailable(
                        f"no {detector} model: the registry has no champion and {seed / MODEL_FILE} does not exist. Train "
                        f"one (`trust models train --detector {detector}`), point TRUST_SEED_MODELS at a folder holding "
                        f"{detector}/model.joblib, or run the detector on its rules with TRUST_RULES_MODE={detector}")
                card = json.loads((seed / CARD_FILE).read_text(encoding="utf-8")) if (seed / CARD_FILE).exists() else {}
                current = register(session, settings, detector, seed, status="champion",
                                   trained_by=f"shipped ({seed.parent.name}/{seed.name}, written {card.get('written', 'unknown')})")
                current.status, current.promoted_at, current.promoted_by = "champion", _now(settings), "seed"
                current.reason = "the shipped model, first champion"
                _audit(session, settings, "seed", "model_promoted", detector=detector, version=current.version, reason=current.reason)
            out[detector] = current.version
    return out


def pin_models(settings: Settings, business_date: dt.date) -> dict[str, str]:
    """Choose, once per night, the version every detector scores with (the champions now; rules where chosen)."""
    ensure_champions(settings)
    with session_scope(settings.db_url) as session:
        rows = []
        for detector in registry.names():
            if registry.get(detector).model_loader is not None and detector not in settings.rules_mode:
                rows.append((detector, champion(session, detector).version, "model"))
            else:
                rows.append((detector, rules_version(detector), RULES))
        frame = pd.DataFrame(rows, columns=["detector", "version", "mode"]).assign(business_date=business_date, pinned_at=_now(settings))
        replace_partition(session, ModelPin, business_date, frame)
    return {detector: version for detector, version, _ in rows}


def pins(settings: Settings, business_date: dt.date) -> dict[str, tuple[str, str]]:
    """{detector: (mode, version)} pinned for the date; pinned now when the night has none yet (a stage run alone)."""
    with session_scope(settings.db_url) as session:
        frame = read_frame(session, select(ModelPin.detector, ModelPin.mode, ModelPin.version).where(ModelPin.business_date == business_date))
    if frame.empty:
        pin_models(settings, business_date)
        return pins(settings, business_date)
    return {r.detector: (r.mode, r.version) for r in frame.itertuples()}


def pinned_model(settings: Settings, business_date: dt.date, detector: str):
    """(model or None for rules, version) the detector scores the date with."""
    mode, version = pins(settings, business_date)[detector]
    if mode == RULES:
        return None, version
    if detector in settings.rules_mode:
        raise ModelUnavailable(f"{business_date} was pinned to {detector} model {version} but TRUST_RULES_MODE now names "
                               f"{detector}: rerun the night from its start (the pin step) to score it on rules")
    return load_version(settings, detector, version), version


def load_version(settings: Settings, detector: str, version: str):
    return _load(settings.store_url, str(settings.data_dir / "model_cache"), detector, version)


def load_folder(detector: str, folder: Path):
    """The detector's model saved in ``folder``, by the detector's own loader."""
    import importlib

    module, function = registry.get(detector).model_loader
    return getattr(importlib.import_module(module), function)(folder)


@functools.lru_cache(maxsize=8)
def _load(store_url: str, cache_dir: str, detector: str, version: str):
    from trust.lifecycle.store import ModelStore

    store = ModelStore(store_url, Path(cache_dir))
    fix = (f"restore it, promote another version (`trust models rollback --detector {detector} --actor NAME --reason TEXT`), "
           f"or run the detector on its rules with TRUST_RULES_MODE={detector}")
    try:
        return load_folder(detector, store.local_dir(detector, version))
    except FileNotFoundError as missing:
        raise ModelUnavailable(f"{detector} model {version} is missing ({missing}): {fix}") from missing
    except Exception as error:  # a truncated or incompatible artifact
        raise ModelUnavailable(f"{detector} model {version} at {store.uri(detector, version)}/{MODEL_FILE} cannot be loaded "
                               f"({type(error).__name__}: {error}): {fix}") from error


def champion_folder(settings: Settings, detector: str) -> Path:
    """The current champion's local folder, for a single check outside the night (the shipped model while the registry
    is empty or the warehouse not yet created)."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    try:
        with session_scope(settings.db_url) as session:
            current = champion(session, detector)
    except (OperationalError, ProgrammingError):  # no warehouse or no registry yet: nothing has been promoted
        current = None
    if current is None:
        return settings.seed_models / detector
    return store_of(settings).local_dir(detector, current.version)


# --- analysts' commands -------------------------------------------------------------------------------------------


def _find(session: Session, detector: str, version: str) -> ModelRecord:
    check_detector(detector)
    matches = session.execute(select(ModelRecord).where(ModelRecord.detector == detector, ModelRecord.version.startswith(version))).scalars().all()
    if len(matches) != 1:
        raise LookupError(f"{'no' if not matches else 'more than one'} {detector} model version starts with {version!r}: "
                          f"see `trust models list --detector {detector}`")
    return matches[0]


def describe(record: ModelRecord) -> dict:
    return {"detector": record.detector, "version": record.version, "status": record.status, "artifact": record.artifact_uri,
            "trained_at": record.trained_at.isoformat(sep=" "), "trained_by": record.trained_by,
            "window": [d.isoformat() if d else None for d in (record.window_start, record.window_end)],
            "label_counts": json.loads(record.label_counts), "features": json.loads(record.features),
            "metrics": json.loads(record.metrics), "library_versions": json.loads(record.library_versions),
            "promoted_at": record.promoted_at.isoformat(sep=" ") if record.promoted_at else None,
            "promoted_by": record.promoted_by, "reason": record.reason}


def list_models(settings: Settings, detector: str | None = None) -> list[dict]:
    with session_scope(settings.db_url) as session:
        statement = select(ModelRecord).order_by(ModelRecord.detector, ModelRecord.trained_at.desc(), ModelRecord.version)
        if detector:
            check_detector(detector)
            statement = statement.where(ModelRecord.detector == detector)
        return [{k: v for k, v in describe(r).items() if k in ("detector", "version", "status", "trained_at", "trained_by",
                                                               "window", "promoted_at", "promoted_by")}
                for r in session.execute(statement).scalars()]


def show_model(settings: Settings, detector: str, version: str | None = None) -> dict:
    check_detector(detector)
    with session_scope(settings.db_url) as session:
        record = _find(session, detector, version) if version else champion(session, detector)
        if record is None:
            raise LookupError(f"no {detector} champion yet: it is registered when the first night runs")
        return describe(record)


def promote(settings: Settings, detector: str, version: str, actor: str, reason: str, action: str = "model_promoted") -> dict:
    """Make a registered model the champion from the next night on; the current champion retires."""
    if not reason.strip():
        raise ValueError("a promotion needs a reason")
    with session_scope(settings.db_url) as session:
        record = _find(session, detector, version)
        if record.status == "champion":
            raise ValueError(f"{detector} model {record.version} is already the champion")
        load_version(settings, detector, record.version)  # refuse a model that cannot be loaded
        current = champion(session, detector)
        if current is not None:
            current.status = "retired"
        record.status, record.promoted_at, record.promoted_by, record.reason = "champion", _now(settings), actor, reason
        _audit(session, settings, actor, action, detector=detector, version=record.version,
               previous=current.version if current else None, reason=reason)
        return {"detector": detector, "champion": record.version, "previous": current.version if current else None,
                "from": "the next night's run"}


def rollback(settings: Settings, detector: str, actor: str, reason: str) -> dict:
    """Restore the champion before the current one (the latest promoted model now retired)."""
    with session_scope(settings.db_url) as session:
        check_detector(detector)
        current = champion(session, detector)
        earlier = session.execute(select(ModelRecord).where(
            ModelRecord.detector == detector, ModelRecord.status == "retired", ModelRecord.promoted_at.is_not(None))
            .order_by(ModelRecord.promoted_at.desc()).limit(1)).scalar_one_or_none()
        if earlier is None:
            raise LookupError(f"no earlier {detector} champion to roll back to"
                              + (f" (the champion is {current.version})" if current else ""))
        version = earlier.version
    return promote(settings, detector, version, actor, reason, action="model_rolled_back")


def record_outcome(session: Session, record: ModelRecord, status: str, reason: str, metrics: dict) -> None:
    record.status, record.reason = status, reason
    record.metrics = json.dumps(metrics, ensure_ascii=False, default=str)
