"""The fund: its view, transfers, in-kind gifts, ledger, reconciliation, period close, committee, proposals."""
from __future__ import annotations

from flask import current_app
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from core import fund, ledger, outcomes, photos, policy, proposals, transparency
from core.api.common import (
    DAY, ID, MONTH, NOT_BLANK, PHOTO_BODY, PHOTO_SHOWN, RAW, ApiBlueprint, PageArgs, community_by_ref, current_user,
    linli, page_schema, paginate, photo_body, public, uploads,
)
from core.db import commit
from core.downloads import csv_download, inline_file
from core.exports import reconciliation_table
from core.models import FundTransfer, InKindDonation, JournalEntry, Proposal
from core.request_session import session

blp = ApiBlueprint("fund", __name__, url_prefix="/communities", description="The community fund and its committee")

AMOUNT = dict(strict=True, validate=validate.Range(1, 10_000_000_000))
PERIOD_FIELD = fields.String(required=True, validate=MONTH)


class TransferSchema(Schema):
    id = fields.Integer(dump_only=True)
    operator_id = fields.Integer(required=True, strict=True, validate=ID)
    amount = fields.Integer(required=True, **AMOUNT)
    currency = fields.String(dump_only=True)
    reference = fields.String(required=True, validate=validate.Length(1, 120))
    received_on = fields.Date(required=True, validate=DAY)
    recorded_at = fields.DateTime(dump_only=True)


class InKindSchema(Schema):
    id = fields.Integer(dump_only=True)
    operator_id = fields.Integer(load_default=None, allow_none=True, strict=True, validate=ID)
    donor = fields.String(required=True, validate=validate.Length(1, 200))
    item = fields.String(required=True, validate=validate.Length(1, 200))
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(1, 1_000_000))
    declared_value_amount = fields.Integer(required=True, strict=True, validate=validate.Range(0, 10_000_000_000))
    currency = fields.String(dump_only=True)
    received_on = fields.Date(required=True, validate=DAY)


class FundSchema(Schema):
    community_id = fields.Integer()
    currency = fields.String()
    balance_amount = fields.Integer()
    receivable_amount = fields.Integer()
    in_kind_amount = fields.Integer()
    inflows = fields.List(fields.Dict())
    outflows = fields.List(fields.Dict())
    chain_head = fields.String()


class PeriodQuery(Schema):
    period = PERIOD_FIELD
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))
    raw = RAW


class ReconciliationSchema(Schema):
    community_id = fields.Integer()
    period = fields.String()
    currency = fields.String()
    closed = fields.Boolean()
    operators = fields.List(fields.Dict())


class NoteSchema(Schema):
    operator_id = fields.Integer(required=True, strict=True, validate=ID)
    note = fields.String(required=True, validate=validate.Length(1, 2000))


class EntrySchema(Schema):
    id = fields.Integer()
    seq = fields.Integer()
    kind = fields.String()
    source = fields.String()
    memo = fields.String(metadata={"description": "in English, as it was posted"})
    memo_message = fields.Dict(allow_none=True, metadata={
        "description": "the memo's template and values ({template, params}), to say it in any language; "
                       "null for entries posted before memos had one"})
    effective_on = fields.String()
    period = fields.String()
    late_from = fields.String(allow_none=True)
    operator_id = fields.Integer(allow_none=True)
    booking_id = fields.Integer(allow_none=True)
    payment_id = fields.Integer(allow_none=True)
    prev_hash = fields.String()
    hash = fields.String()
    lines = fields.List(fields.Dict())


class MemberSchema(Schema):
    user_id = fields.Integer(required=True, strict=True, validate=ID)


class CommitteeSchema(Schema):
    size = fields.Integer()
    can_vote = fields.Boolean()
    members = fields.List(fields.Dict())


class AttachmentSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(1, 200))
    url = fields.Url(load_default=None, allow_none=True, schemes={"http", "https"})
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class VoteSchema(Schema):
    member_id = fields.Integer()
    decision = fields.String()
    comment = fields.String()
    cast_at = fields.DateTime()


class ProposalSchema(Schema):
    id = fields.Integer(dump_only=True)
    community_id = fields.Integer(dump_only=True)
    title = fields.String(required=True, validate=validate.Length(1, 200))
    purpose = fields.String(required=True, validate=validate.Length(1, 5000))
    requested_amount = fields.Integer(required=True, **AMOUNT)
    currency = fields.String(dump_only=True)
    beneficiary = fields.String(required=True, validate=validate.Length(1, 200))
    planned_on = fields.Date(load_default=None, allow_none=True, validate=DAY)
    attachments = fields.List(fields.Nested(AttachmentSchema), load_default=list, validate=validate.Length(max=20))
    status = fields.String(dump_only=True)
    votes = fields.List(fields.Nested(VoteSchema), dump_only=True)
    charity_reason = fields.String(dump_only=True, allow_none=True)
    disbursement_reference = fields.String(dump_only=True, allow_none=True)
    disbursed_at = fields.DateTime(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)


class VoteRequest(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "reject"]))
    comment = fields.String(load_default="", validate=validate.Length(max=2000))


class CharityDecision(Schema):
    approved = fields.Boolean(required=True)
    reason = fields.String(load_default="", validate=validate.Length(max=2000))


class DisburseRequest(Schema):
    reference = fields.String(required=True, validate=validate.Length(1, 120))


def _community(ref, *roles):
    db = session()
    community = community_by_ref(db, ref)
    fund.require_reader(current_user(), community, *roles)
    return db, community


@blp.route("/<ref>/fund")
@blp.response(200, FundSchema)
def get_fund(ref):
    """Balance, receivable, inflows by operator and month, outflows by project."""
    db, community = _community(ref)
    return transparency.fund_as_read(db, community)


@blp.route("/<ref>/fund/transfers")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(TransferSchema))
def list_transfers(args, ref):
    db, community = _community(ref, "committee_member", "charity_officer")
    return paginate(db, select(FundTransfer).where(FundTransfer.community_id == community.id)
                    .order_by(FundTransfer.id.desc()), args)


@blp.route("/<ref>/fund/transfers", methods=["POST"])
@blp.arguments(TransferSchema)
@blp.response(201, TransferSchema)
def record_transfer(data, ref):
    """A committee member records an operator's payment of donations due, with its bank reference."""
    db = session()
    transfer = fund.record_transfer(db, current_user(), community_by_ref(db, ref), **data)
    commit(db)
    return transfer


@blp.route("/<ref>/fund/in-kind")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(InKindSchema))
def list_in_kind(args, ref):
    db, community = _community(ref)
    return paginate(db, select(InKindDonation).where(InKindDonation.community_id == community.id)
                    .order_by(InKindDonation.id.desc()), args)


@blp.route("/<ref>/fund/in-kind", methods=["POST"])
@blp.arguments(InKindSchema)
@blp.response(201, InKindSchema)
def record_in_kind(data, ref):
    """Goods given to the fund, at declared value (kept apart from cash)."""
    db = session()
    gift = fund.record_in_kind(db, current_user(), community_by_ref(db, ref), **data)
    commit(db)
    return gift


@blp.route("/<ref>/fund/ledger")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(EntrySchema))
def get_ledger(args, ref):
    """Journal entries with their lines and hashes, newest first (committee and charity officer)."""
    db, community = _community(ref, "committee_member", "charity_officer")
    page = paginate(db, select(JournalEntry).where(JournalEntry.community_id == community.id)
                    .order_by(JournalEntry.seq.desc()), args)
    return page | {"items": [fund.entry_json(e) for e in page["items"]]}


@blp.route("/<ref>/fund/reconciliation")
@blp.arguments(PeriodQuery, location="query")
@blp.response(200, ReconciliationSchema)
def get_reconciliation(args, ref):
    """Per operator: donation due vs received, the variance and its notes; ``format=csv`` for a spreadsheet in the
    reader's language (``Accept-Language``), ``format=csv&raw=1`` for tools."""
    db, community = _community(ref, "committee_member", "charity_officer")
    report = fund.reconciliation(db, community, args["period"])
    if args["format"] == "csv":
        return csv_download(reconciliation_table(report, linli().plugins.operator_types),
                            f"reconciliation-{community.slug}-{args['period']}.csv", raw=args["raw"])
    return report


@blp.route("/<ref>/fund/reconciliation/<period>/operators/<int:operator_id>")
@blp.response(200, EntrySchema(many=True))
def drill_down(ref, period, operator_id):
    """The entries behind one operator's figures, with their bookings and payments."""
    db, community = _community(ref, "committee_member", "charity_officer")
    return fund.drill_down(db, community, period, operator_id)


@blp.route("/<ref>/fund/reconciliation/<period>/notes", methods=["POST"])
@blp.arguments(NoteSchema)
@blp.response(201, ReconciliationSchema)
def annotate(data, ref, period):
    """A committee member explains a variance."""
    db = session()
    community = community_by_ref(db, ref)
    fund.annotate(db, current_user(), community, period, data["operator_id"], data["note"])
    commit(db)
    return fund.reconciliation(db, community, period)


class SplitSchema(Schema):
    payment_id = fields.Integer(attribute="id")
    booking_id = fields.Integer()
    provider = fields.String()
    share_status = fields.String(allow_none=True, metadata={
        "description": "pending (to request), requested (at the payment service), done, failed"})
    share_amount = fields.Integer()
    share_error = fields.String(allow_none=True, metadata={"description": "why the payment service refused it"})


@blp.route("/<ref>/fund/splits/<int:payment_id>/retry", methods=["POST"])
@blp.response(200, SplitSchema)
def retry_split(ref, payment_id):
    """A committee member asks the payment service again for a split of the fund's share it refused (409 unless it
    failed); it is requested in the background, its state shown in the reconciliation."""
    db = session()
    payment = fund.retry_split(db, current_user(), community_by_ref(db, ref), payment_id)
    commit(db)
    return payment


@blp.route("/<ref>/fund/periods/<period>/close", methods=["POST"])
@blp.response(200, ReconciliationSchema)
def close_period(ref, period):
    """Close a period: no new entries land in it, its figures are final."""
    db = session()
    community = community_by_ref(db, ref)
    fund.close_period(db, current_user(), community, period, ledger.local_today(community),
                      linli().plugins.operator_types)
    commit(db)
    return fund.reconciliation(db, community, period)


def committee_json(db, community) -> dict:
    members = proposals.committee(db, community.id)
    return {"size": len(members), "can_vote": len(members) >= 3 and len(members) % 2 == 1,
            "members": [{"user_id": m.id, "name": m.name} for m in members]}


@blp.route("/<ref>/committee")
@blp.response(200, CommitteeSchema)
def get_committee(ref):
    db, community = _community(ref)
    return committee_json(db, community)


@blp.route("/<ref>/committee", methods=["POST"])
@blp.arguments(MemberSchema)
@blp.response(201, CommitteeSchema)
def add_member(data, ref):
    """Community staff add a member to the fund committee."""
    db = session()
    community = community_by_ref(db, ref)
    proposals.add_member(db, current_user(), community, data["user_id"])
    commit(db)
    return committee_json(db, community)


@blp.route("/<ref>/committee/<int:user_id>", methods=["DELETE"])
@blp.response(200, CommitteeSchema)
def remove_member(ref, user_id):
    db = session()
    community = community_by_ref(db, ref)
    proposals.remove_member(db, current_user(), community, user_id)
    commit(db)
    return committee_json(db, community)


@blp.route("/<ref>/fund/proposals")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(ProposalSchema))
def list_proposals(args, ref):
    db, community = _community(ref)
    return paginate(db, select(Proposal).where(Proposal.community_id == community.id).order_by(Proposal.id.desc()),
                    args)


@blp.route("/<ref>/fund/proposals", methods=["POST"])
@blp.arguments(ProposalSchema)
@blp.response(201, ProposalSchema)
def draft_proposal(data, ref):
    """Community staff draft a use of the fund."""
    db = session()
    proposal = proposals.draft(db, current_user(), community_by_ref(db, ref), data)
    commit(db)
    return proposal


@blp.route("/<ref>/fund/proposals/<int:proposal_id>")
@blp.response(200, ProposalSchema)
def get_proposal(ref, proposal_id):
    db, community = _community(ref)
    return proposals.proposal_or_404(db, community, proposal_id)


def _step(ref, action, *args):
    db = session()
    proposal = action(db, current_user(), community_by_ref(db, ref), *args)
    commit(db)
    return proposal


@blp.route("/<ref>/fund/proposals/<int:proposal_id>/submit", methods=["POST"])
@blp.response(200, ProposalSchema)
def submit_proposal(ref, proposal_id):
    return _step(ref, proposals.submit, proposal_id)


@blp.route("/<ref>/fund/proposals/<int:proposal_id>/votes", methods=["POST"])
@blp.arguments(VoteRequest)
@blp.response(201, ProposalSchema)
def vote(data, ref, proposal_id):
    """A committee member votes once; a majority of all members decides."""
    return _step(ref, proposals.vote, proposal_id, data["decision"], data["comment"])


@blp.route("/<ref>/fund/proposals/<int:proposal_id>/charity-decision", methods=["POST"])
@blp.arguments(CharityDecision)
@blp.response(200, ProposalSchema)
def charity_decision(data, ref, proposal_id):
    """The city charity officer approves, or rejects with a reason."""
    return _step(ref, proposals.charity_decision, proposal_id, data["approved"], data["reason"])


class OutcomeSchema(Schema):
    proposal_id = fields.Integer(dump_only=True)
    done = fields.String(required=True, validate=[validate.Length(1, 5000), NOT_BLANK],
                         metadata={"description": "what was done with the money"})
    beneficiaries = fields.Integer(required=True, strict=True, validate=validate.Range(0, 10_000_000),
                                   metadata={"description": "how many people it served"})
    spent_amount = fields.Integer(required=True, strict=True, validate=validate.Range(0, 10_000_000_000),
                                  metadata={"description": "minor units spent, beside granted_amount"})
    granted_amount = fields.Integer(dump_only=True)
    unspent_amount = fields.Integer(dump_only=True, metadata={"description": "granted − spent (negative: overspent)"})
    currency = fields.String(dump_only=True)
    reported_at = fields.String(dump_only=True)
    photo_ids = fields.List(fields.Integer(), dump_only=True, metadata={
        "description": "its photos, each at GET /communities/{ref}/fund/outcome-photos/{photo_id}"})


@blp.route("/<ref>/fund/proposals/<int:proposal_id>/outcome", methods=["POST"])
@blp.arguments(OutcomeSchema)
@blp.response(201, OutcomeSchema)
def report_outcome(data, ref, proposal_id):
    """Community staff report what a disbursed proposal did, once (409 before it is paid out); it is public."""
    db = session()
    community = community_by_ref(db, ref)
    outcome = outcomes.report(db, current_user(), community, proposal_id, **data)
    commit(db)
    return outcomes.outcome_or_404(db, community, outcome.proposal_id)


@blp.route("/<ref>/fund/proposals/<int:proposal_id>/outcome")
@blp.response(200, OutcomeSchema)
@public
def get_outcome(ref, proposal_id):
    """A funded project's outcome report, as the public page shows it (no login); 404 until reported."""
    db = session()
    return outcomes.outcome_or_404(db, community_by_ref(db, ref), proposal_id)


@blp.route("/<ref>/fund/proposals/<int:proposal_id>/outcome/photos", methods=["POST"])
@blp.doc(**PHOTO_BODY)
@blp.response(201, OutcomeSchema)
@uploads(photos.UPLOAD_MOST_BYTES, raw=True)
def add_outcome_photo(ref, proposal_id):
    """Community staff add a photo of what was done, the image itself as the body (JPEG, PNG or WebP, up to 5 MB;
    its bytes decide), up to six to a report; public like the report. 413 ``photo_too_large``; 422
    ``not_an_image``, ``too_many_photos``."""
    db, user = session(), current_user()
    community = community_by_ref(db, ref)
    policy.require(user, "community_staff", community_id=community.id)  # before a byte of the photo is read
    outcomes.add_photos(db, user, community, proposal_id, [photo_body("photos")], current_app.instance_path)
    commit(db)
    return outcomes.outcome_or_404(db, community, proposal_id)


@blp.route("/<ref>/fund/outcome-photos/<int:photo_id>")
@blp.doc(**PHOTO_SHOWN)
@public
def get_outcome_photo(ref, photo_id):
    """A photo of what a funded project did (no login), with the type its bytes showed; 404 ``no_outcome_photo``."""
    db = session()
    photo = outcomes.photo_of(db, community_by_ref(db, ref), photo_id)
    return inline_file(outcomes.PHOTOS.read(current_app.instance_path, photo.name), photo.media_type)


@blp.route("/<ref>/fund/proposals/<int:proposal_id>/disburse", methods=["POST"])
@blp.arguments(DisburseRequest)
@blp.response(200, ProposalSchema)
def disburse(data, ref, proposal_id):
    """Pay out an approved proposal; 409 if the fund would be overdrawn."""
    return _step(ref, proposals.disburse, proposal_id, data["reference"])
