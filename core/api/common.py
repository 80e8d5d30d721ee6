"""What every API module shares: the current user, scope lookups and pagination."""
from __future__ import annotations

import datetime as dt
import functools

import flask_smorest
from flask import current_app, g, request
from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import Session
from webargs.flaskparser import FlaskParser

from core import photos
from core.accounts import COMMUNITY_NOT_FOUND
from core.auth import user_for_token
from core.db import count_rows
from core.errors import N_, unauthorized
from core.ledger import FIRST_DAY, LAST_DAY
from core.settlement import PERIOD
from core.models import Community, User
from core.request_session import session
from core.security import uploads  # noqa: F401  (the API's operations that take a file use it from here)


class _OneSchemaPerClass(FlaskParser):
    """webargs' parser, with one instance per Schema class: flask-smorest hands the parser the class, and webargs
    would build a new instance (copying every field) for every request. A schema keeps no state between loads."""

    def _get_schema(self, argmap, req):
        if isinstance(argmap, type) and issubclass(argmap, Schema):
            return _instance_of(argmap)
        return super()._get_schema(argmap, req)


@functools.cache
def _instance_of(schema: type[Schema]) -> Schema:
    return schema()


class ApiBlueprint(flask_smorest.Blueprint):
    """The API's blueprint, core's and plugins' alike: flask-smorest's, parsing arguments with cached schemas."""

    ARGUMENTS_PARSER = _OneSchemaPerClass()


def linli():
    return current_app.extensions["linli"]


BEARER_REQUIRED = unauthorized("bearer_token_required", N_("Send your token as Authorization: Bearer <token>."))


def public(view):
    """Mark an operation anyone may call without logging in (its OpenAPI document then asks for no token)."""
    view.linli_public = True
    return view


def current_user() -> User | None:
    """The user of the bearer token, or None for an anonymous request."""
    if "api_user" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if not header:
            g.api_user = None
        elif scheme.lower() != "bearer" or not token.strip():
            raise BEARER_REQUIRED()
        else:
            g.api_user = user_for_token(session(), token.strip())
    return g.api_user


DAY = validate.Range(FIRST_DAY, LAST_DAY, error=N_("Give a day between {min} and {max}."))
"""Validates a day given as input: the books cover these years, and Python's dates end at 9999 (a day near that
end overflows the moment it is turned into a time range)."""
MOMENT = validate.Range(dt.datetime.combine(FIRST_DAY, dt.time(), dt.timezone.utc),
                        dt.datetime.combine(LAST_DAY, dt.time(23, 59, 59), dt.timezone.utc),
                        error=N_("Give a time between {min} and {max}."))

MONTH = validate.Regexp(PERIOD.pattern, error=N_("Write the month as YYYY-MM, e.g. 2026-11."))
"""Validates a month (a period of the books) given as input."""
NOT_BLANK = validate.Regexp(r"\s*\S", error=N_("Please write something here."))
"""Validates text that must say something: spaces alone are not an answer."""

class JsonBoolean(fields.Boolean):
    """``true`` or ``false`` as JSON writes them: marshmallow's Boolean also takes 0, 1, "yes" and "off"."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


RAW = fields.Boolean(load_default=False, metadata={"description": (
    "With a CSV: 1 for tools (English column names, amounts in minor units, UTF-8 without a byte-order mark); "
    "without it the file is for people (the reader's language, amounts such as 1,250.00 and a currency column, "
    "a byte-order mark for Excel)")})
"""The query parameter that asks an export for its machine-readable form (core/exports.py)."""

MAX_ID = 2**31 - 1
ID = validate.Range(1, MAX_ID, error=N_("This is not an id."))
"""Validates an id given in a body or a query: ids are 32-bit positive integers on every database."""


def community_by_ref(db_session: Session, ref: str | int) -> Community:
    """A community named by its id or its slug."""
    ref = str(ref)
    by_id = ref.isascii() and ref.isdigit()  # "²" is a digit to str.isdigit(), not to int()
    column = Community.id if by_id else Community.slug
    value = int(ref) if by_id and len(ref) <= 18 else ref
    fits = len(ref) <= 64 and (not by_id or isinstance(value, int) and 1 <= value <= MAX_ID)
    community = db_session.scalar(select(Community).where(column == value)) if fits else None
    if community is None:
        raise COMMUNITY_NOT_FOUND(community=ref[:64])
    return community


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(1, 100_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(1, 200))


def page_schema(item_schema: type[Schema]) -> type[Schema]:
    """A page of ``item_schema``: ``{items, page, per_page, total}``."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema)),
            "page": fields.Integer(),
            "per_page": fields.Integer(),
            "total": fields.Integer(),
        },
        name=f"{item_schema.__name__.removesuffix('Schema')}Page",
    )


def paginate(db_session: Session, query, args: dict, total: int | None = None) -> dict:
    """A page of ``query``; ``total`` is counted unless the caller knows it."""
    page, per_page = args["page"], args["per_page"]
    if total is None:
        total = count_rows(db_session, query)
    items = db_session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": items, "page": page, "per_page": per_page, "total": total}


PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")
PHOTO_CONTENT = {kind: {"schema": {"type": "string", "format": "binary"}} for kind in PHOTO_TYPES}
PHOTO_BODY = {"requestBody": {"required": True, "content": PHOTO_CONTENT}}
"""The OpenAPI description of a photo sent as the body itself (core/photos.py judges its bytes)."""
PHOTO_SHOWN = {"responses": {200: {"description": "the photo", "content": PHOTO_CONTENT}}}


def photo_body(field: str = "photo") -> bytes:
    """The photo sent as the request's body; 413 ``photo_too_large`` before a byte of a larger one is read."""
    if (request.content_length or 0) > photos.MOST_BYTES:
        raise photos.PHOTO_TOO_LARGE(most=photos.MOST_BYTES // (1024 * 1024), field=field)
    return request.get_data()
