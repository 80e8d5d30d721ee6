"""Funded projects report back: once the fund paid for a proposal, its community's staff say what was done with it.

The loop donors and residents see closes here: a disbursed proposal gets one outcome report — what was done, for
how many people, and the money spent beside what was granted (more or less: the difference is shown, never posted;
the ledger already holds the disbursement) and a few photos of it. Before the money went out there is nothing to
report (409). The report and its photos are public on the fund's transparency page with its disbursement, and
audited.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, photos, policy
from core.errors import N_, conflict, invalid, not_found
from core.models import Community, OutcomePhoto, ProjectOutcome, Proposal, User
from core.proposals import proposal_or_404

NOT_DISBURSED = conflict("not_disbursed_yet", N_(
    "Proposal %(proposal_id)s has not been paid out yet: its outcome can be reported once it has."))
REPORTED_ALREADY = conflict("outcome_reported_already", N_("The outcome of proposal %(proposal_id)s is reported "
                                                           "already."))
NO_OUTCOME = not_found("no_outcome", N_("Proposal %(proposal_id)s has no outcome report yet."))
TOO_MANY_PHOTOS = invalid("too_many_photos", N_("A report may show at most %(most)s photos."))
NO_OUTCOME_PHOTO = not_found("no_outcome_photo", N_("There is no such photo of a funded project."))

MOST_PHOTOS = 6
PHOTOS = photos.PhotoFolder("outcomes", NO_OUTCOME_PHOTO)
"""A funded project's photos: public, like its report."""


def report(session: Session, actor: User | None, community: Community, proposal_id: int, done: str,
           beneficiaries: int, spent_amount: int, photo_data: list[bytes] = (),
           instance_path: str | None = None) -> ProjectOutcome:
    """The community's staff report a disbursed proposal's outcome, once, with its photos' bytes if they took any
    (kept under ``instance_path`` once everything else holds)."""
    policy.require(actor, "community_staff", community_id=community.id)
    proposal = proposal_or_404(session, community, proposal_id, lock=True)
    if proposal.status != "disbursed":
        raise NOT_DISBURSED(proposal_id=proposal_id)
    if outcome_of(session, proposal.id) is not None:
        raise REPORTED_ALREADY(proposal_id=proposal_id)
    _check_photos(photo_data, 0)
    outcome = ProjectOutcome(proposal_id=proposal.id, community_id=community.id, done=done.strip(),
                             beneficiaries=beneficiaries, spent_amount=spent_amount, currency=proposal.currency,
                             reported_by_id=actor.id)
    session.add(outcome)
    session.flush()
    audit.record(session, actor, "outcome_reported", "proposal", proposal.id, community.id,
                 beneficiaries=beneficiaries, spent_amount=spent_amount)
    if photo_data:
        _keep_photos(session, actor, outcome, photo_data, instance_path)
    return outcome


def add_photos(session: Session, actor: User | None, community: Community, proposal_id: int,
               photo_data: list[bytes], instance_path: str) -> ProjectOutcome:
    """The community's staff add photos to a reported outcome, up to :data:`MOST_PHOTOS` in all."""
    policy.require(actor, "community_staff", community_id=community.id)
    proposal = proposal_or_404(session, community, proposal_id, lock=True)
    outcome = outcome_of(session, proposal.id)
    if outcome is None:
        raise NO_OUTCOME(proposal_id=proposal_id)
    _check_photos(photo_data, len(outcome.photos))
    _keep_photos(session, actor, outcome, photo_data, instance_path)
    return outcome


def _check_photos(photo_data: list[bytes], kept: int) -> None:
    """Every photo a picture of fitting size, and no more than a report may show: before anything is written."""
    if kept + len(photo_data) > MOST_PHOTOS:
        raise TOO_MANY_PHOTOS(most=MOST_PHOTOS, field="photos")
    for data in photo_data:
        photos.checked(data, field="photos")


def _keep_photos(session: Session, actor: User, outcome: ProjectOutcome, photo_data: list[bytes],
                 instance_path: str) -> None:
    for data in photo_data:
        name, kind = PHOTOS.store(instance_path, data)
        outcome.photos.append(OutcomePhoto(name=name, media_type=kind))
    session.flush()
    audit.record(session, actor, "outcome_photos_added", "proposal", outcome.proposal_id, outcome.community_id,
                 photos=len(photo_data))


def photo_of(session: Session, community: Community, photo_id: int) -> OutcomePhoto:
    """One of the community's funded projects' photos (public); 404 for another community's or none."""
    photo = session.get(OutcomePhoto, photo_id)
    outcome = session.get(ProjectOutcome, photo.outcome_id) if photo is not None else None
    if outcome is None or outcome.community_id != community.id:
        raise NO_OUTCOME_PHOTO()
    return photo


def outcome_of(session: Session, proposal_id: int) -> ProjectOutcome | None:
    return session.scalar(select(ProjectOutcome).where(ProjectOutcome.proposal_id == proposal_id))


def reported(session: Session, community: Community) -> set[int]:
    """The community's proposals that reported their outcome."""
    return set(session.scalars(select(ProjectOutcome.proposal_id).where(ProjectOutcome.community_id == community.id)))


def outcome_or_404(session: Session, community: Community, proposal_id: int) -> dict:
    """A proposal's outcome as the API and the public page show it; 404 without one."""
    proposal = proposal_or_404(session, community, proposal_id)
    outcome = outcome_of(session, proposal.id)
    if outcome is None:
        raise NO_OUTCOME(proposal_id=proposal_id)
    return as_json(outcome, proposal)


def as_json(outcome: ProjectOutcome, proposal: Proposal) -> dict:
    """No person in it: what was done, how many it served, the money granted and spent."""
    return {"proposal_id": proposal.id, "done": outcome.done, "beneficiaries": outcome.beneficiaries,
            "granted_amount": proposal.requested_amount, "spent_amount": outcome.spent_amount,
            "unspent_amount": proposal.requested_amount - outcome.spent_amount, "currency": outcome.currency,
            "reported_at": outcome.reported_at.isoformat(), "photo_ids": [photo.id for photo in outcome.photos]}


def with_outcomes(session: Session, community: Community, disbursements: list[dict]) -> list[dict]:
    """The public report's disbursements, each with its outcome (null until reported)."""
    found = {outcome.proposal_id: outcome for outcome in session.scalars(
        select(ProjectOutcome).where(ProjectOutcome.community_id == community.id))}
    proposals = {p.id: p for p in session.scalars(select(Proposal).where(Proposal.id.in_(list(found))))}
    return [row | {"outcome": as_json(found[row["proposal_id"]], proposals[row["proposal_id"]])
                   if row["proposal_id"] in found else None} for row in disbursements]
