"""The detectors the nightly DAG runs, by name. Add a module here to add a detector."""

from __future__ import annotations

from types import ModuleType

from trust.detect import DETECTOR_NAMES, agents, complaints, listings, reviews

DETECTORS: dict[str, ModuleType] = {module.NAME: module for module in (reviews, listings, complaints, agents)}

if tuple(DETECTORS) != DETECTOR_NAMES:
    raise RuntimeError("trust.detect.DETECTOR_NAMES and trust.detect.registry.DETECTORS disagree")
