"""Refusals are typed: each type has one HTTP status code, given in one place, and the service never reads a
message to choose one."""

from pathlib import Path

import pytest

from trust.errors import HTTP_STATUS, Conflict, Invalid, NotFound, NotHeld, PermanentError, http_status, is_permanent


@pytest.mark.parametrize(("error", "status"), [(NotFound("x"), 404), (Conflict("x"), 409), (NotHeld("x"), 409),
                                                (Invalid("x"), 422), (ValueError("x"), None), (RuntimeError("x"), None)])
def test_each_refusal_has_one_status_code_and_anything_else_is_an_internal_error(error, status):
    assert http_status(error) == status


def test_refusals_are_permanent_and_still_read_as_the_builtin_errors_callers_catch():
    for kind in HTTP_STATUS:
        assert issubclass(kind, PermanentError) and issubclass(kind, ValueError) and is_permanent(kind("x"))
    assert issubclass(NotFound, LookupError)


def test_the_service_chooses_no_status_code_by_reading_an_error_message():
    source = (Path(__file__).resolve().parents[1] / "trust" / "api" / "app.py").read_text(encoding="utf-8")
    assert "in str(exc)" not in source and "except ValueError" not in source and "except LookupError" not in source
