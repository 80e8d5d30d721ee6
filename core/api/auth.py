"""Log in for a bearer token, log out, and who am I."""
from __future__ import annotations

from flask import current_app, request
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core import personal_data, policy, residents
from core.api.common import NOT_BLANK, ApiBlueprint, community_by_ref, current_user, public
from core.ledger import local_today
from core.auth import authenticate, issue_token, revoke_token
from core.db import commit
from core.errors import N_, DomainError, text
from core.request_session import session

blp = ApiBlueprint("auth", __name__, url_prefix="", description="Authentication")


class Credentials(Schema):
    """An email, or a resident's community (id or slug) and phone, with the password."""

    email = fields.String(validate=validate.Length(1, 254))
    community = fields.String(validate=validate.Length(1, 64))
    phone = fields.String(validate=validate.Length(1, 32))
    password = fields.String(required=True, validate=validate.Length(1, 1024), load_only=True)

    @validates_schema
    def _who(self, data, **_):
        if not data.get("email") and not (data.get("community") and data.get("phone")):
            raise ValidationError(text(N_("Give your email, or your community and phone number.")), "email")


class RegistrationSchema(Schema):
    community = fields.String(required=True, validate=validate.Length(1, 64))
    name = fields.String(required=True, validate=[validate.Length(1, residents.NAME_LENGTH), NOT_BLANK])
    phone = fields.String(required=True, validate=validate.Length(1, 32))
    password = fields.String(required=True, validate=validate.Length(1, 1024), load_only=True)
    date_of_birth = fields.Date(load_default=None, allow_none=True)  # checked by the register
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=residents.ADDRESS_LENGTH))
    building = fields.String(load_default=None, allow_none=True,
                             validate=validate.Length(max=residents.BUILDING_LENGTH))
    email = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=254))


class GrantSchema(Schema):
    role = fields.String()
    community_id = fields.Integer(allow_none=True)
    operator_id = fields.Integer(allow_none=True)


class UserSchema(Schema):
    """The logged-in user as they see themselves: their own phone, date of birth and address included."""

    id = fields.Integer()
    email = fields.String(allow_none=True)
    name = fields.String()
    roles = fields.Method("_roles", metadata={"type": "array"})
    community_id = fields.Method("_community", allow_none=True)
    date_of_birth = fields.Method("_date_of_birth", allow_none=True)
    verified_attributes = fields.Method("_attributes")

    def _roles(self, user):
        return GrantSchema(many=True).dump(user.grants)

    def _community(self, user):
        if user.profile:
            return user.profile.community_id
        return next((g.community_id for g in user.grants if g.community_id), None)

    phone = fields.Function(lambda user: user.profile and user.profile.phone, allow_none=True)
    address = fields.Function(lambda user: user.profile and user.profile.address, allow_none=True)
    building = fields.Function(lambda user: user.profile and user.profile.building, allow_none=True)
    status = fields.Function(lambda user: user.profile and user.profile.status, allow_none=True,
                             metadata={"description": "a resident's: pending until the office verifies them"})
    helps = fields.Method("_helps", metadata={"description": "residents the office lets this user book for"})

    def _helps(self, user):
        return [{"id": p.user_id, "name": p.user.name} for p in residents.helped_by(session(), user)]

    def _date_of_birth(self, user):
        return user.profile.date_of_birth.isoformat() if user.profile and user.profile.date_of_birth else None

    def _attributes(self, user):
        return sorted(a.attribute for a in user.profile.attributes) if user.profile else []


class TokenSchema(Schema):
    token = fields.String()
    expires_at = fields.DateTime()
    user = fields.Nested(UserSchema)


@blp.route("/auth/token", methods=["POST"])
@blp.arguments(Credentials)
@blp.response(200, TokenSchema)
@public
def login(credentials):
    """Exchange an email (or a resident's community and phone) and password for a bearer token."""
    db = session()
    community_id = None
    if not credentials.get("email"):
        try:
            community_id = community_by_ref(db, credentials["community"]).id
        except DomainError:
            community_id = None  # the same answer as a wrong password: nothing learnt from trying
    user = authenticate(db, credentials["password"], credentials.get("email"), community_id,
                        credentials.get("phone"))
    token, row = issue_token(db, user, current_app.config["TOKEN_HOURS"])
    commit(db)
    return {"token": token, "expires_at": row.expires_at, "user": user}


@blp.route("/auth/register", methods=["POST"])
@blp.arguments(RegistrationSchema)
@blp.response(201, UserSchema)
@public
def register(data):
    """A resident signs up with phone and password: pending until the office verifies them (their date of birth
    gives no age-based price until then)."""
    db = session()
    community = community_by_ref(db, data.pop("community"))
    profile = residents.sign_up(db, community, residents.Particulars(**data), local_today(community))
    commit(db)
    return profile.user


@blp.route("/auth/token", methods=["DELETE"])
@blp.response(204)
def logout():
    """Revoke the bearer token this request carries."""
    policy.require_user(current_user())
    revoke_token(session(), request.headers["Authorization"].partition(" ")[2].strip())
    commit(session())


@blp.route("/me")
@blp.response(200, UserSchema)
def me():
    """The logged-in user with roles, community and verified attributes."""
    return policy.require_user(current_user())


@blp.route("/me/data")
@blp.response(200, personal_data.PersonalDataSchema)
def my_data():
    """Everything Linli keeps about you, as one document (your right under PIPL): account, register entry, checked
    attributes, bookings, ratings, and who may book for you."""
    return personal_data.export(session(), policy.require_user(current_user()))
