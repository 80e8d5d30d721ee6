"""The resident register of a community (community staff of that community only)."""
from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate
from sqlalchemy.orm import Session

from core import eligibility, policy, resident_import, residents
from core.api.common import (
    DAY, ID, NOT_BLANK, ApiBlueprint, PageArgs, community_by_ref, current_user, page_schema, paginate, uploads,
)
from core.db import commit
from core.errors import N_, invalid
from core.ledger import local_today
from core.models import RESIDENT_STATUSES, Community, ResidentProfile, User
from core.pricing import ATTRIBUTES
from core.request_session import session
from core.web.i18n import say

blp = ApiBlueprint("residents", __name__, url_prefix="", description="The resident register")

FILE_MISSING = invalid("register_file_missing", N_(
    "Send the register as a CSV file in the form field “file” (multipart/form-data)."))


class VerificationSchema(Schema):
    attribute = fields.String(validate=validate.OneOf(ATTRIBUTES))
    verified_by_id = fields.Integer(allow_none=True)
    verified_at = fields.DateTime()
    expires_on = fields.Date(allow_none=True, metadata={"description": "the last day it holds; null: until withdrawn"})


class ResidentSchema(Schema):
    """A resident as their community's staff see them: personal data, shown to nobody else."""

    id = fields.Integer(attribute="user_id")
    name = fields.Function(lambda p: p.user.name)
    phone = fields.String(allow_none=True)
    email = fields.Function(lambda p: p.user.email, allow_none=True)
    date_of_birth = fields.Date(allow_none=True)
    date_of_birth_verified_by_id = fields.Integer(attribute="born_verified_by_id", allow_none=True)
    date_of_birth_verified_at = fields.DateTime(attribute="born_verified_at", allow_none=True)
    address = fields.String(allow_none=True)
    building = fields.String(allow_none=True)
    status = fields.String(validate=validate.OneOf(RESIDENT_STATUSES))
    community_id = fields.Integer()
    registered_at = fields.DateTime(allow_none=True)
    attributes = fields.List(fields.Nested(VerificationSchema))


class ParticularsSchema(Schema):
    name = fields.String(validate=[validate.Length(1, residents.NAME_LENGTH), NOT_BLANK])
    phone = fields.String(validate=validate.Length(1, 32))
    date_of_birth = fields.Date(allow_none=True)  # the register refuses one in the future or before 1900
    address = fields.String(allow_none=True, validate=validate.Length(max=residents.ADDRESS_LENGTH))
    building = fields.String(allow_none=True, validate=validate.Length(max=residents.BUILDING_LENGTH))
    email = fields.String(allow_none=True, validate=validate.Length(max=254))
    password = fields.String(allow_none=True, validate=validate.Length(max=1024), load_only=True)


class NewResidentSchema(ParticularsSchema):
    name = fields.String(required=True, validate=[validate.Length(1, residents.NAME_LENGTH), NOT_BLANK])
    phone = fields.String(required=True, validate=validate.Length(1, 32))


class RegisterQuery(PageArgs):
    q = fields.String(validate=validate.Length(max=100),
                      metadata={"description": "the start of a name, or the start or the end of a phone number"})
    status = fields.String(validate=validate.OneOf(RESIDENT_STATUSES))


class AttributeRequest(Schema):
    attribute = fields.String(required=True, validate=validate.OneOf(ATTRIBUTES))
    expires_on = fields.Date(load_default=None, allow_none=True, validate=DAY)


class HelperRequest(Schema):
    helper_id = fields.Integer(required=True, strict=True, validate=ID,
                               metadata={"description": "the user (e.g. a son or daughter) who may book for them"})


class RecheckSchema(Schema):
    resident_id = fields.Integer()
    name = fields.String()
    attribute = fields.String()
    expires_on = fields.Date()
    expired = fields.Boolean()


class ImportArgs(Schema):
    dry_run = fields.Boolean(load_default=False, metadata={"description": "check and count every row, write nothing"})


class RegisterFile(Schema):
    file = Upload(metadata={"description": "the register as CSV, UTF-8 (with or without a BOM), at most 20 MiB; "
                                          "columns 姓名/name, 手机/phone, 出生日期/date_of_birth, 住址/address, "
                                          "楼栋/building, 邮箱/email"})


class RowErrorSchema(Schema):
    row = fields.Integer(metadata={"description": "as the spreadsheet numbers it: the column names are row 1"})
    field = fields.String(allow_none=True, metadata={"description": "null: the row as a whole"})
    code = fields.String()
    message = fields.Function(lambda error: say(error.message))


class ImportReportSchema(Schema):
    created = fields.Integer(metadata={"description": "new residents (on a dry run: who would be)"})
    updated = fields.Integer(metadata={"description": "residents whose particulars the file changed"})
    unchanged = fields.Integer(metadata={"description": "rows the register already held as they are"})
    errors = fields.List(fields.Nested(RowErrorSchema), metadata={"description": "the rows not imported, and why"})


def _staff_community(db: Session, ref: str) -> Community:
    community = community_by_ref(db, ref)
    policy.require(current_user(), "community_staff", community_id=community.id)
    return community


def _particulars(data: dict) -> residents.Particulars:
    return residents.Particulars(**{key: value if value is not None else "" if key in ("address", "building", "email")
                                    else None for key, value in data.items()})


@blp.route("/communities/<ref>/residents", methods=["POST"])
@blp.arguments(NewResidentSchema)
@blp.response(201, ResidentSchema)
def register_resident(data, ref):
    """Register a resident; a date of birth entered here counts as verified by you (you saw the ID card)."""
    db = session()
    community = _staff_community(db, ref)
    profile = residents.register(db, current_user(), community, residents.Particulars(**data),
                                 local_today(community))
    commit(db)
    return profile


@blp.route("/communities/<ref>/residents")
@blp.arguments(RegisterQuery, location="query")
@blp.response(200, page_schema(ResidentSchema))
def list_residents(args, ref):
    """The register, searched by the start of a name or the start or end of a phone number."""
    db = session()
    community = _staff_community(db, ref)
    return paginate(db, residents.listed(residents.search(community.id, args.get("q"), args.get("status"))), args)


@blp.route("/communities/<ref>/residents/import", methods=["POST"])
@blp.arguments(ImportArgs, location="query")
@blp.arguments(RegisterFile, location="files")
@blp.response(200, ImportReportSchema)
@uploads(resident_import.MOST_BYTES)
def import_residents(args, files, ref):
    """Import the register from a spreadsheet saved as CSV: a row with a problem is reported and left out, the
    others are written; a phone the register knows updates that resident, so importing again duplicates nobody."""
    db = session()
    community = _staff_community(db, ref)
    if files.get("file") is None:
        raise FILE_MISSING(field="file")
    sheet = resident_import.read(files["file"].read(), local_today(community))
    report = resident_import.import_sheet(db, current_user(), community, sheet, dry_run=args["dry_run"])
    if not args["dry_run"]:
        commit(db)
    return report


@blp.route("/communities/<ref>/residents/due-for-recheck")
@blp.response(200, RecheckSchema(many=True))
def due_for_recheck(ref):
    """Verified attributes ending within 30 days, or already ended: to check again."""
    db = session()
    community = _staff_community(db, ref)
    today = local_today(community)
    return [{"resident_id": profile.user_id, "name": profile.user.name, "attribute": row.attribute,
             "expires_on": row.expires_on, "expired": row.expires_on < today}
            for row, profile in residents.due_for_recheck(db, community.id, today)]


@blp.route("/residents/<int:resident_id>")
@blp.response(200, ResidentSchema)
def get_resident(resident_id):
    return residents.staff_profile(session(), current_user(), resident_id)


def _change(resident_id: int, change) -> ResidentProfile:
    """Find a resident of the caller's community, ``change(db, actor, profile, today)`` them, commit."""
    db, actor = session(), current_user()
    profile = residents.staff_profile(db, actor, resident_id)
    change(db, actor, profile, local_today(db.get(Community, profile.community_id)))
    commit(db)
    return profile


@blp.route("/residents/<int:resident_id>", methods=["PATCH"])
@blp.arguments(ParticularsSchema)
@blp.response(200, ResidentSchema)
def correct_resident(data, resident_id):
    """Correct a resident's particulars; a date of birth entered here counts as verified by you."""
    return _change(resident_id, lambda db, actor, profile, today: residents.correct(
        db, actor, profile, _particulars(data), today))


@blp.route("/residents/<int:resident_id>/verify", methods=["POST"])
@blp.response(200, ResidentSchema)
def verify_resident(resident_id):
    """You have seen a pending resident's ID card: they become active and their date of birth counts."""
    return _change(resident_id, lambda db, actor, profile, _today: residents.verify(db, actor, profile))


@blp.route("/residents/<int:resident_id>/deactivate", methods=["POST"])
@blp.response(200, ResidentSchema)
def deactivate_resident(resident_id):
    """The resident moved away: history kept, no login, nothing new booked for them."""
    return _change(resident_id, lambda db, actor, profile, _today: residents.deactivate(db, actor, profile))


@blp.route("/residents/<int:resident_id>/attributes", methods=["POST"])
@blp.arguments(AttributeRequest)
@blp.response(201, ResidentSchema)
def verify_attribute(data, resident_id):
    """Record a verified attribute (e.g. after seeing a student card), until ``expires_on`` if given; again renews."""
    return _change(resident_id, lambda db, actor, profile, today: eligibility.verify(
        db, actor, profile, data["attribute"], data["expires_on"], today))


@blp.route("/residents/<int:resident_id>/attributes/<attribute>", methods=["DELETE"])
@blp.response(200, ResidentSchema)
def clear_attribute(resident_id, attribute):
    """Withdraw a verified attribute."""
    return _change(resident_id, lambda db, actor, profile, _today: eligibility.clear(db, actor, profile, attribute))


@blp.route("/residents/<int:resident_id>/helpers", methods=["POST"])
@blp.arguments(HelperRequest)
@blp.response(201, ResidentSchema)
def link_helper(data, resident_id):
    """Let a family member (any user) book and cancel for this resident."""
    def link(db, actor, profile, _today):
        helper = db.get(User, data["helper_id"])
        if helper is None:
            raise residents.UNKNOWN_HELPER(user_id=data["helper_id"], field="helper_id")
        residents.link_helper(db, actor, profile, helper)

    return _change(resident_id, link)
