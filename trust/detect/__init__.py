"""Detectors: each turns warehouse rows into scores with reason codes in words.

A detector module exposes ``NAME``, ``VERSION`` and ``run(session, business_date, window_start, window_end)``
returning the columns of ``trust.detect.base.RESULT_COLUMNS`` (or that frame and a dict of further output tables,
``{TableClass: frame}``, each replaced for the business date); ``trust.detect.registry.DETECTORS`` maps names to
modules. ``DETECTOR_NAMES`` is kept here, free of heavy imports, so the DAG file can read it at parse time.
"""

DETECTOR_NAMES = ("reviews", "listings", "complaints", "agents")

COMPLAINT_CATEGORIES = ("counterfeit", "quality_defect", "not_as_described", "not_delivered", "after_sales_refused",
                        "reseller_recruitment", "other")
