"""The HTTP service: public grade lookups, the analysts' API behind bearer tokens, and the nightly report.

Public: GET /merchants/{id}/grade, GET /merchants/{id}/grades, POST /grades/lookup, GET /reports/{date}, GET /health.
Service (any token): POST /listings/check, the listing-time check, and reading the queues. Analyst (token with role
analyst or admin): queue decisions, overrides, appeals. Admin: release held publications. Errors are JSON; no stack
trace reaches a client.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, Field, field_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

from trust.errors import HTTP_STATUS, http_status
from trust.settings import Settings

log = logging.getLogger(__name__)
MERCHANT_ID = r"^[A-Za-z0-9_\-]{1,64}$"
PUBLICATION_TTL_SECONDS = 5.0
CHAMPION_RECHECK_SECONDS = 60.0  # the listing check looks for a newly promoted model at most once a minute
ItemId = Annotated[str, Path(pattern=MERCHANT_ID, description="Id of a merchant, review, listing or network root")]
QueueName = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,63}$",
                                description="A registered detector's queue: reviews, rings, listings, networks …")]
MerchantId = Annotated[str, Path(pattern=MERCHANT_ID, description="Merchant id")]


class Problem(BaseModel):
    where: str = Field(description="The field, parameter or component at fault")
    problem: str


class ErrorBody(BaseModel):
    """Every error answer: a sentence, and for invalid requests or an unavailable warehouse the problems found."""
    error: str
    problems: list[Problem] | None = None


def _error(description: str) -> dict:
    return {"model": ErrorBody, "description": description}


# Documented on every operation (the router's own 404/405 answer with the same body).
ERROR_RESPONSES = {404: _error("Not found (no such merchant, report or item; nothing published yet)"),
                   422: _error("Invalid request: each problem names the field"),
                   500: _error("Internal error; logged on the server, no details sent"),
                   503: _error("The warehouse is unreachable or not migrated; the problem says what to do")}
AUTH_RESPONSES = {401: _error("No, unknown, expired or revoked bearer token"),
                  403: _error("The token's role does not allow this")}
AUTH_CONFLICT = AUTH_RESPONSES | {409: _error("The state does not allow it (already decided, not held)")}
ACCESS_LOG = logging.getLogger("trust.api.access")


class LookupRequest(BaseModel):
    merchant_ids: list[Annotated[str, Field(pattern=MERCHANT_ID)]] = Field(min_length=1, max_length=1000)


class Decision(BaseModel):
    decision: Literal["confirmed", "cleared"]
    note: str | None = Field(default=None, max_length=2000)


class OverrideRequest(BaseModel):
    merchant_id: Annotated[str, Field(pattern=MERCHANT_ID)]
    tier: Literal["A", "B", "C", "D", "E"]
    reason: str = Field(min_length=1, max_length=2000)
    effective_from: dt.date
    expires_on: dt.date


class AppealDecision(BaseModel):
    uphold: bool
    note: str = Field(min_length=1, max_length=2000)
    recompute_date: dt.date | None = None


class ListingCheckRequest(BaseModel):
    title: str = Field(min_length=1, max_length=500)
    price: float = Field(ge=0, le=10_000_000)
    brand: str | None = Field(default=None, max_length=100)
    category: str | None = Field(default=None, max_length=50)
    description: str | None = Field(default=None, max_length=5000)
    merchant_id: Annotated[str, Field(pattern=MERCHANT_ID)] | None = None


class ReleaseRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)

    @field_validator("reason")
    @classmethod
    def not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("reason must not be blank")
        return value


def create_app(settings: Settings | None = None) -> FastAPI:
    from sqlalchemy.orm import sessionmaker

    from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
    from sqlalchemy.exc import DBAPIError

    from trust.db.engine import get_engine
    from trust.db.health import warehouse_state

    settings = settings or Settings.from_env()
    session_factory = sessionmaker(bind=get_engine(settings.db_url), expire_on_commit=False)
    # No redirects for trailing slashes: a client gets a JSON 404, never an empty 307.
    app = FastAPI(title="trust", version="1", description="Merchant grades and the analysts' API of the trust pipeline.",
                  redirect_slashes=False, responses=ERROR_RESPONSES)
    bearer = HTTPBearer(auto_error=False, scheme_name="token",
                        description="A token from `trust token create --name NAME --role service|analyst|admin`")
    diagnosed: dict = {"at": -1e9, "state": None}

    def warehouse(force: bool = False):
        """The warehouse's state, re-checked at most every few seconds (a database error answers 503 or 500 from it)."""
        now = time.monotonic()
        if force or now - diagnosed["at"] > PUBLICATION_TTL_SECONDS:
            diagnosed.update(at=now, state=warehouse_state(settings.db_url))
        return diagnosed["state"]

    def unavailable(state) -> JSONResponse:
        return JSONResponse(status_code=503, headers={"Retry-After": "30"},
                            content={"error": "the warehouse is unavailable", "problems": [{"where": "warehouse", "problem": state.message}]})

    @app.middleware("http")
    async def access_log(request: Request, call_next):
        """One line per request: method, path (no query string), status, milliseconds, token name; never the token."""
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            ACCESS_LOG.info("%s %s %d %.1fms token=%s", request.method, request.url.path, status,
                            (time.perf_counter() - started) * 1000, getattr(request.state, "token_name", "-"))

    @app.exception_handler(DBAPIError)
    async def database_error(request: Request, exc: DBAPIError):
        state = warehouse(force=True)
        if not state.ok:
            log.warning("warehouse unavailable on %s %s: %s", request.method, request.url.path, state.message)
            return unavailable(state)
        log.exception("database error on %s %s", request.method, request.url.path)
        return JSONResponse(status_code=500, content={"error": "internal error; it has been logged"})

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        problems = [{"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")} for e in exc.errors()]
        return JSONResponse(status_code=422, content={"error": "invalid request", "problems": problems})

    @app.exception_handler(StarletteHTTPException)  # also the router's own 404/405, not only ours
    async def http_error(request: Request, exc: StarletteHTTPException):
        return JSONResponse(status_code=exc.status_code, content={"error": exc.detail}, headers=getattr(exc, "headers", None))

    async def refused(request: Request, exc: Exception):
        """A request refused for what it asks (trust.errors: NotFound, Conflict, Invalid): its status code, its message."""
        return JSONResponse(status_code=http_status(exc), content={"error": str(exc)})

    for kind in HTTP_STATUS:  # the one place a refusal becomes an HTTP status code
        app.add_exception_handler(kind, refused)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(status_code=500, content={"error": "internal error; it has been logged"})

    def read_session():
        with session_factory() as session:
            yield session

    def role(needed: str):
        def check(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> str:
            from trust.api.auth import allows, authenticate

            if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials.strip():
                raise HTTPException(401, "a bearer token is required", headers={"WWW-Authenticate": "Bearer"})
            now = dt.datetime.now(settings.tz).replace(tzinfo=None)
            with session_factory() as session:
                found = authenticate(session, credentials.credentials.strip(), now)
                if isinstance(found, str):
                    raise HTTPException(401, found, headers={"WWW-Authenticate": "Bearer"})
                request.state.token_name = found.name
                if not allows(found.role, needed):
                    raise HTTPException(403, f"this needs the {needed} role; the token has {found.role}")
                return found.name
        return check

    cached: dict = {"at": -1e9, "value": None, "block": ""}

    def publication(session):
        """The current publication, re-read at most every few seconds: it changes once a night."""
        from trust.lookup import current_publication, publication_block

        now = time.monotonic()
        if now - cached["at"] > PUBLICATION_TTL_SECONDS:
            current = current_publication(session)
            if current is not None:
                session.expunge(current)
                cached["block"] = json.dumps(publication_block(current, session), ensure_ascii=False)
            # "Nothing published" is not kept: while a rerun holds its date off the air, the grades return the moment
            # its gate publishes them, not a few seconds later.
            cached.update(at=now if current is not None else -1e9, value=current)
        if cached["value"] is None:
            raise HTTPException(404, "no grades have been published yet")
        return cached["value"]

    @app.get("/health")
    def health():
        """200 with the current grade version (null: nothing published yet), or 503 with what is wrong."""
        from trust.lookup import current_publication

        state = warehouse(force=True)
        if not state.ok:
            return unavailable(state)
        with session_factory() as session:
            current = current_publication(session)
        return {"status": "ok", "published": current.grade_version if current else None}

    @app.get("/merchants/{merchant_id}/grade", response_class=JSONResponse)
    async def merchant_grade(merchant_id: MerchantId) -> Response:
        """The merchant's current published grade, with every metric against its thresholds and the reasons."""
        from trust.lookup import grade_document, with_publication

        # One primary-key read of the document rendered when the grades were written; done inline on the event loop
        # (it takes well under a millisecond) rather than through the thread pool.
        with session_factory() as session:
            current = publication(session)
            body = grade_document(session.connection(), merchant_id, current)
            if body is None:  # an unknown merchant, or the cached publication was superseded: read it again, once
                cached["at"] = -1e9
                current = publication(session)
                body = grade_document(session.connection(), merchant_id, current)
        if body is None:
            raise HTTPException(404, f"merchant {merchant_id!r} has no published grade")
        return Response(with_publication(body, cached["block"]), media_type="application/json")

    @app.get("/merchants/{merchant_id}/grades")
    def merchant_history(merchant_id: MerchantId, limit: Annotated[int, Query(ge=1, le=365)] = 30,
                         session=Depends(read_session)) -> dict:
        """The merchant's grades on published dates, newest first."""
        from trust.lookup import grade_history

        history = grade_history(session, merchant_id, limit)
        if not history:
            raise HTTPException(404, f"merchant {merchant_id!r} has no published grade")
        return {"merchant_id": merchant_id, "history": history}

    @app.post("/grades/lookup")
    def lookup(body: LookupRequest, session=Depends(read_session)) -> dict:
        """Current grades of up to 1000 merchants; unknown ids map to null."""
        from trust.lookup import batch_grades

        current = publication(session)
        return {"as_of": current.business_date.isoformat(), "grade_version": current.grade_version,
                "grades": batch_grades(session, list(dict.fromkeys(body.merchant_ids)), current)}

    @app.get("/reports/{business_date}")
    def report(business_date: dt.date):
        path = settings.reports_dir / business_date.isoformat() / "report.html"
        if not path.is_file():
            raise HTTPException(404, f"no report for {business_date}")
        return FileResponse(path, media_type="text/html")

    @app.get("/queues/{queue}", responses=AUTH_RESPONSES)
    def queue_items(queue: QueueName, limit: Annotated[int, Query(ge=1, le=500)] = 50,
                    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0, actor: str = Depends(role("service"))) -> dict:
        from trust.queues import list_queue

        return list_queue(settings, queue, limit, offset)

    checker: dict = {}

    @app.post("/listings/check", responses=AUTH_RESPONSES)
    def check_listing(body: ListingCheckRequest, actor: str = Depends(role("service"))) -> dict:
        """The listing-time check (上架审核): probability, flags and reasons against the last nightly market context."""
        from trust.detect.listings.stage import ListingChecker

        now = time.monotonic()
        if "value" not in checker or now - checker["at"] > CHAMPION_RECHECK_SECONDS:  # a promotion or a new night reaches it
            from trust.detect.listings.stage import latest_market, latest_market_date
            from trust.lifecycle.registry import champion_folder

            folder = None if "listings" in settings.rules_mode else champion_folder(settings, "listings")
            with session_factory() as session:  # the market of the newest night, from the warehouse (no worker's file)
                market_date = latest_market_date(session)
                if "value" not in checker or checker["value"].model_dir != folder or checker["market_date"] != market_date:
                    checker["value"] = ListingChecker(model_dir=folder, market=latest_market(session))
                    checker["market_date"] = market_date
            checker["at"] = now
        return checker["value"].check(body.title, body.price, body.brand, body.category, body.description, body.merchant_id)

    @app.post("/queues/{queue}/{item_id}/decision", responses=AUTH_RESPONSES)
    def decide(queue: QueueName, item_id: ItemId, body: Decision,
               actor: str = Depends(role("analyst"))) -> dict:
        from trust.queues import decide_item

        return decide_item(settings, queue, item_id, body.decision, actor, body.note)

    @app.post("/overrides", status_code=201, responses=AUTH_RESPONSES)
    def add_override_endpoint(body: OverrideRequest, actor: str = Depends(role("analyst"))) -> dict:
        from trust.analyst import add_override

        override_id = add_override(settings, body.merchant_id, body.tier, body.reason, actor, body.effective_from, body.expires_on)
        return {"id": override_id, "merchant_id": body.merchant_id, "tier": body.tier, "actor": actor}

    @app.delete("/overrides/{override_id}", responses=AUTH_CONFLICT)
    def revoke_override_endpoint(override_id: Annotated[int, Path(ge=1, le=2**31)], reason: Annotated[str, Query(min_length=1, max_length=2000)],
                                 actor: str = Depends(role("analyst"))) -> dict:
        from trust.analyst import revoke_override

        revoke_override(settings, override_id, actor, reason)
        return {"id": override_id, "revoked_by": actor}

    @app.post("/appeals/{appeal_id}/decision", responses=AUTH_CONFLICT)
    def decide_appeal_endpoint(appeal_id: Annotated[int, Path(ge=1, le=2**31)], body: AppealDecision,
                               actor: str = Depends(role("analyst"))) -> dict:
        from trust.analyst import decide_appeal

        return decide_appeal(settings, appeal_id, body.uphold, actor, body.note, body.recompute_date)

    @app.post("/publications/{business_date}/release", responses=AUTH_CONFLICT)
    def release(business_date: dt.date, body: ReleaseRequest, actor: str = Depends(role("admin"))) -> dict:
        from trust.pipeline import release_held

        return release_held(settings, business_date, actor, body.reason)

    return app


