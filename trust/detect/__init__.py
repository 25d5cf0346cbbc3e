"""Detectors: each turns warehouse rows into scores with reason codes in words.

A detector module exposes ``run(session, business_date, window_start, window_end) -> DataFrame`` with the
columns of ``trust.detect.base.RESULT_COLUMNS``; ``trust.detect.registry.DETECTORS`` lists them by name.
"""
