"""The workshop's API under /api/v1/workshop: jobs, pieces and wage sheets."""

from core.plugin_api import ApiBlueprint, PageArgs, commit, current_user, page_schema, session
from plugins.workshop import service, wages
from plugins.workshop.schemas import (
    WorkshopJobQuery, WorkshopJobSchema, WorkshopPiecesSchema, WorkshopWageCsvQuery, WorkshopWageQuery,
    WorkshopWageSheetSchema,
)

# Ids in paths stop at the database's 32-bit integers: a larger one is a 404, not a database error.
blp = ApiBlueprint("workshop", __name__, url_prefix="/workshop",
                description="Co-prosperity workshop: piece-work jobs, pieces per shift, wage sheets")


@blp.route("/operators/<int:operator_id>/jobs")
@blp.arguments(WorkshopJobQuery, location="query")
@blp.response(200, page_schema(WorkshopJobSchema))
def list_jobs(args, operator_id):
    """The workshop's jobs, newest first (its staff and the community's staff)."""
    return service.jobs(session(), current_user(), operator_id, args)


@blp.route("/operators/<int:operator_id>/jobs", methods=["POST"])
@blp.arguments(WorkshopJobSchema)
@blp.response(201, WorkshopJobSchema)
def create_job(data, operator_id):
    """The workshop's staff take on a merchant's order of pieces."""
    db = session()
    job = service.create_job(db, current_user(), operator_id, data)
    commit(db)
    return job


@blp.route("/jobs/<int:job_id>")
@blp.response(200, WorkshopJobSchema)
def get_job(job_id):
    return service.job(session(), current_user(), job_id)


@blp.route("/jobs/<int:job_id>/deliver", methods=["POST"])
@blp.response(200, WorkshopJobSchema)
def deliver_job(job_id):
    """The workshop's staff hand the pieces made to the merchant; the contract revenue is posted once."""
    db = session()
    job = service.deliver(db, current_user(), job_id)
    commit(db)
    return job


@blp.route("/jobs/<int:job_id>/pieces")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(WorkshopPiecesSchema))
def list_pieces(args, job_id):
    """The pieces recorded on a job, per worker and shift (the workshop's and the community's staff)."""
    return service.pieces(session(), current_user(), job_id, args)


@blp.route("/jobs/<int:job_id>/pieces", methods=["POST"])
@blp.arguments(WorkshopPiecesSchema)
@blp.response(201, WorkshopPiecesSchema)
def record_pieces(data, job_id):
    """The workshop's staff record the pieces a worker made in a shift they booked; never more than ordered."""
    db = session()
    record = service.record_pieces(db, current_user(), job_id, data)
    commit(db)
    return record


@blp.route("/operators/<int:operator_id>/wages")
@blp.arguments(WorkshopWageQuery, location="query")
@blp.response(200, WorkshopWageSheetSchema)
def wage_sheet(args, operator_id):
    """Pieces × rate per worker for a period (staff: everyone; a resident: their own)."""
    return wages.wage_sheet(session(), current_user(), operator_id, args["period"])


@blp.route("/operators/<int:operator_id>/wages.csv")
@blp.arguments(WorkshopWageCsvQuery, location="query")
@blp.doc(responses={"200": {"description": "the wage sheet as CSV: for people in the reader's language (UTF-8 "
                                           "with BOM), or with raw=1 for tools",
                            "content": {"text/csv": {"schema": {"type": "string"}}}}})
def wage_sheet_csv(args, operator_id):
    """The wage sheet as a CSV file for spreadsheets (same readers as the JSON sheet)."""
    return wages.csv_response(wages.wage_sheet(session(), current_user(), operator_id, args["period"]), args["raw"])
