"""Disbursement proposals and the committee's votes, under the governance rules from practice.

draft → submitted → committee_approved | rejected → charity_approved | charity_rejected → disbursed.
Community staff draft and submit; each committee member votes once, and votes
count only while the committee has an odd number of at least three members; a
majority of all members decides; the city charity officer approves or rejects
with a reason; the charity officer, who holds the fund, and only they, disburses,
which can never overdraw the fund. Every step is audit-logged.
"""
from __future__ import annotations

from sqlalchemy import String, cast, literal, select
from sqlalchemy.orm import Session

from core import accounts, audit, ledger, notices, policy
from core.db import utcnow
from core.errors import N_, conflict, forbidden, invalid, not_found, text
from core.ledger import credit, debit
from core.models import Community, JournalEntry, Proposal, ProposalVote, RoleGrant, User


ALREADY_A_MEMBER = conflict("already_a_member", N_("This person is on the committee already."))
NOT_A_MEMBER = not_found("not_a_member", N_("Person %(user_id)s is not on the committee."))
PROPOSAL_NOT_FOUND = not_found("proposal_not_found", N_("We could not find proposal %(proposal_id)s."))
PROPOSAL_STEP = conflict("proposal_step", N_("This proposal cannot take this step now."))
MEMBERS_VOTE = forbidden("members_vote", N_("Only members of the committee vote."))
NOT_OPEN_FOR_VOTES = conflict("not_open_for_votes", N_("This proposal is not open for votes."))
COMMITTEE_SIZE = conflict("committee_size", N_(
    "Votes count only while the committee has an odd number of members, at least 3. It has %(size)s now."))
VOTED_ALREADY = conflict("voted_already", N_("You have voted on this proposal already."))
REASON_REQUIRED = invalid("reason_required", N_("Please write the reason for saying no."))
WOULD_OVERDRAW = conflict("would_overdraw", N_("The fund does not hold enough money to pay this out."))
DISBURSEMENT_MEMO = N_("Paid out for %(title)s, reference %(reference)s")


def committee(session: Session, community_id: int) -> list[User]:
    return list(session.scalars(select(User).join(RoleGrant, RoleGrant.user_id == User.id).where(
        RoleGrant.role == "committee_member", RoleGrant.community_id == community_id, User.is_active.is_(True))
        .order_by(User.id)))


def add_member(session: Session, actor: User | None, community: Community, user_id: int) -> User:
    policy.require(actor, "community_staff", community_id=community.id)
    user = session.get(User, user_id)
    if user is None:
        raise accounts.UNKNOWN_USER(field="user_id")
    if any(m.id == user_id for m in committee(session, community.id)):
        raise ALREADY_A_MEMBER()
    session.add(RoleGrant(user_id=user.id, role="committee_member", community_id=community.id))
    audit.record(session, actor, "committee_member_added", "user", user.id, community.id)
    return user


def remove_member(session: Session, actor: User | None, community: Community, user_id: int) -> None:
    policy.require(actor, "community_staff", community_id=community.id)
    grant = session.scalar(select(RoleGrant).where(RoleGrant.user_id == user_id, RoleGrant.community_id == community.id,
                                                   RoleGrant.role == "committee_member"))
    if grant is None:
        raise NOT_A_MEMBER(user_id=user_id)
    session.delete(grant)
    audit.record(session, actor, "committee_member_removed", "user", user_id, community.id)


def proposal_or_404(session: Session, community: Community, proposal_id: int, lock: bool = False) -> Proposal:
    proposal = session.get(Proposal, proposal_id, with_for_update=lock)
    if proposal is None or proposal.community_id != community.id:
        raise PROPOSAL_NOT_FOUND(proposal_id=proposal_id)
    return proposal


def draft(session: Session, actor: User | None, community: Community, fields: dict) -> Proposal:
    policy.require(actor, "community_staff", community_id=community.id)
    proposal = Proposal(community_id=community.id, currency=community.currency, created_by_id=actor.id,
                        status="draft", **fields)
    session.add(proposal)
    session.flush()
    audit.record(session, actor, "proposal_drafted", "proposal", proposal.id, community.id)
    return proposal


def _move(proposal: Proposal, allowed: str, to: str) -> None:
    if proposal.status != allowed:
        raise PROPOSAL_STEP()
    proposal.status = to


def submit(session: Session, actor: User | None, community: Community, proposal_id: int) -> Proposal:
    policy.require(actor, "community_staff", community_id=community.id)
    proposal = proposal_or_404(session, community, proposal_id, lock=True)
    _move(proposal, "draft", "submitted")
    audit.record(session, actor, "proposal_submitted", "proposal", proposal.id, community.id)
    notices.proposal_submitted(session, community, proposal, notices.amount(proposal.requested_amount,
                                                                            proposal.currency))
    return proposal


def tally(session: Session, proposal: Proposal) -> dict:
    members = len(committee(session, proposal.community_id))
    approvals = sum(v.decision == "approve" for v in proposal.votes)
    return {"committee_size": members, "approvals": approvals, "rejections": len(proposal.votes) - approvals,
            "majority": members // 2 + 1}


def vote(session: Session, actor: User | None, community: Community, proposal_id: int, decision: str,
         comment: str) -> Proposal:
    """One vote per member; the proposal is decided as soon as a majority of all members agrees."""
    policy.require_user(actor)
    members = committee(session, community.id)
    if actor.id not in {m.id for m in members}:
        raise MEMBERS_VOTE()
    proposal = proposal_or_404(session, community, proposal_id, lock=True)
    if proposal.status != "submitted":
        raise NOT_OPEN_FOR_VOTES()
    if len(members) < 3 or len(members) % 2 == 0:
        raise COMMITTEE_SIZE(size=len(members))
    if any(v.member_id == actor.id for v in proposal.votes):
        raise VOTED_ALREADY()
    proposal.votes.append(ProposalVote(member_id=actor.id, decision=decision, comment=comment))
    session.flush()
    counts = tally(session, proposal)
    if counts["approvals"] >= counts["majority"]:
        proposal.status = "committee_approved"
    elif counts["rejections"] >= counts["majority"]:
        proposal.status = "rejected"
    audit.record(session, actor, "proposal_voted", "proposal", proposal.id, community.id, decision=decision,
                 status=proposal.status)
    return proposal


def charity_decision(session: Session, actor: User | None, community: Community, proposal_id: int,
                     approved: bool, reason: str) -> Proposal:
    policy.require(actor, "charity_officer", community_id=community.id)
    proposal = proposal_or_404(session, community, proposal_id, lock=True)
    if not approved and not reason.strip():
        raise REASON_REQUIRED(field="reason")
    _move(proposal, "committee_approved", "charity_approved" if approved else "charity_rejected")
    proposal.charity_reason = reason
    audit.record(session, actor, "charity_decided", "proposal", proposal.id, community.id, approved=approved,
                 reason=reason)
    notices.charity_decided(session, community, proposal)
    return proposal


def disburse(session: Session, actor: User | None, community: Community, proposal_id: int,
             reference: str) -> Proposal:
    """Pay out an approved proposal: the charity officer only (a committee member is refused before the state is
    looked at), and refused (409) if the fund holds less, however many try at once."""
    policy.require(actor, "charity_officer", community_id=community.id)
    ledger.lock(session, community.id)
    proposal = proposal_or_404(session, community, proposal_id, lock=True)
    if proposal.status != "charity_approved":
        raise PROPOSAL_STEP()
    balance = ledger.balances(session, community.id, ["fund_cash"]).get("fund_cash", 0)
    if proposal.requested_amount > balance:
        raise WOULD_OVERDRAW()
    ledger.post(session, community, "disbursement", f"disbursement:{proposal.id}",
                [debit("fund_disbursed", proposal.requested_amount), credit("fund_cash", proposal.requested_amount)],
                community.currency, memo=text(DISBURSEMENT_MEMO, title=proposal.title, reference=reference))
    proposal.status, proposal.disbursement_reference, proposal.disbursed_at = "disbursed", reference, utcnow()
    audit.record(session, actor, "proposal_disbursed", "proposal", proposal.id, community.id, reference=reference)
    return proposal


def outflows(session: Session, community: Community, period: str | None = None) -> list[dict]:
    """Disbursements by project, with how each was approved."""
    query = (select(Proposal, JournalEntry.effective_on, JournalEntry.period)
             .join(JournalEntry, (JournalEntry.community_id == community.id)
                   & (JournalEntry.source == literal("disbursement:") + cast(Proposal.id, String)))
             .where(Proposal.community_id == community.id, Proposal.status == "disbursed")
             .order_by(JournalEntry.seq))
    if period:
        query = query.where(JournalEntry.period == period)
    rows = []
    for proposal, day, entry_period in session.execute(query):
        counts = tally(session, proposal)
        rows.append({"proposal_id": proposal.id, "title": proposal.title, "beneficiary": proposal.beneficiary,
                     "amount": proposal.requested_amount, "currency": proposal.currency,
                     "disbursed_on": day.isoformat(), "period": entry_period,
                     "approvals": counts["approvals"], "rejections": counts["rejections"],
                     "charity_decision": proposal.charity_reason or "approved"})
    return rows

