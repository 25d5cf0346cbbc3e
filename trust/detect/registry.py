"""The detectors the system runs, by name: the nightly DAG's detect tasks, the model pins, the merchant metrics, the
queues, the report and the run summary all iterate over :func:`detectors`.

Adding a detector is one folder, ``trust/detect/<name>/`` whose ``__init__`` defines ``DETECTOR`` (see
:class:`trust.detect.base.Detector`), and one line in :data:`BUILT_IN`. A deployment adds its own without editing this
file: ``TRUST_DETECTORS=package.module,other.module`` (each module defining ``DETECTOR``) is read when the registry is
first used, on every machine that parses the DAG or runs a stage.
"""

from __future__ import annotations

import functools
import importlib
import os

from trust.detect.base import Detector, missing_members

BUILT_IN = (
    "trust.detect.reviews",
    "trust.detect.listings",
    "trust.detect.complaints",
    "trust.detect.agents",
)


@functools.cache
def detectors() -> dict[str, Detector]:
    """{name: detector} in running order: the built-in ones, then those named by ``TRUST_DETECTORS``."""
    extra = tuple(m.strip() for m in os.environ.get("TRUST_DETECTORS", "").split(",") if m.strip())
    out: dict[str, Detector] = {}
    for module_name in BUILT_IN + extra:
        detector = getattr(importlib.import_module(module_name), "DETECTOR", None)
        if detector is None or missing_members(detector):
            raise TypeError(f"{module_name} defines no DETECTOR following trust.detect.base.Detector"
                            + (f" (it lacks {', '.join(missing_members(detector))})" if detector is not None else ""))
        if detector.name in out:
            raise ValueError(f"two detectors are named {detector.name!r} ({module_name} and an earlier one)")
        out[detector.name] = detector
    return out


def names() -> tuple[str, ...]:
    return tuple(detectors())


def get(name: str) -> Detector:
    known = detectors()
    if name not in known:
        raise ValueError(f"unknown detector {name!r}; known: {', '.join(known)}")
    return known[name]


def flags(name: str) -> bool:
    """Whether a label on the detector's scores is a flag (counted as flagged) rather than a category (a detector no
    longer registered, whose scores remain in the warehouse, counts as flagging)."""
    detector = detectors().get(name)
    return detector is None or detector.labels_are_flags


def reload() -> None:
    """Read ``TRUST_DETECTORS`` again (after it changed in this process)."""
    detectors.cache_clear()
