"""Log in for a bearer token, log out, and who am I."""
from __future__ import annotations

from flask import current_app, request
from marshmallow import Schema, fields, validate

from core import policy
from core.api.common import ApiBlueprint, current_user, public
from core.auth import authenticate, issue_token, revoke_token
from core.db import commit
from core.request_session import session

blp = ApiBlueprint("auth", __name__, url_prefix="", description="Authentication")


class Credentials(Schema):
    email = fields.String(required=True, validate=validate.Length(1, 254))
    password = fields.String(required=True, validate=validate.Length(1, 1024), load_only=True)


class GrantSchema(Schema):
    role = fields.String()
    community_id = fields.Integer(allow_none=True)
    operator_id = fields.Integer(allow_none=True)


class UserSchema(Schema):
    id = fields.Integer()
    email = fields.String()
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
    """Exchange email and password for a bearer token."""
    db = session()
    user = authenticate(db, credentials["email"], credentials["password"])
    token, row = issue_token(db, user, current_app.config["TOKEN_HOURS"])
    commit(db)
    return {"token": token, "expires_at": row.expires_at, "user": user}


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
