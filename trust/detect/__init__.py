"""Detectors: each turns warehouse rows into scores with reason codes in words, one folder per detector
(``trust/detect/<name>/``, its ``DETECTOR`` following :class:`trust.detect.base.Detector`), listed in
:mod:`trust.detect.registry`. Shared pieces (the result frame, reasons, the lexicon, CSV input, artifacts) sit beside
the folders.

Models saved before the detectors moved into their folders name the old modules (``trust.detect.review_model`` …) in
their pickles; :data:`MOVED` maps those names to the new modules so such models still load.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

COMPLAINT_CATEGORIES = ("counterfeit", "quality_defect", "not_as_described", "not_delivered", "after_sales_refused",
                        "reseller_recruitment", "other")

MOVED = {
    "trust.detect.review_model": "trust.detect.reviews.model",
    "trust.detect.review_text": "trust.detect.reviews.text",
    "trust.detect.review_signals": "trust.detect.reviews.signals",
    "trust.detect.listing_model": "trust.detect.listings.model",
    "trust.detect.listing_knowledge": "trust.detect.listings.knowledge",
    "trust.detect.brand_catalogue": "trust.detect.listings.brands",
    "trust.detect.complaint_model": "trust.detect.complaints.model",
}


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Importing an old module name gives its new module (what unpickling an old model does)."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        return importlib.import_module(MOVED[spec.name])

    def exec_module(self, module):
        pass  # the new module is already loaded


if not any(isinstance(finder, _MovedModules) for finder in sys.meta_path):
    sys.meta_path.append(_MovedModules())
