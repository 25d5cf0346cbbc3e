"""The detectors the nightly DAG runs, by name. Add a module here to add a detector."""

from __future__ import annotations

from types import ModuleType

from trust.detect import agents, complaints, listings, reviews

DETECTORS: dict[str, ModuleType] = {module.NAME: module for module in (reviews, listings, complaints, agents)}
