"""The housekeeping centre's API: its roster of trained workers, kept by the centre's staff."""

from core.plugin_api import (
    ApiBlueprint, PageArgs, commit, current_user, operator_of_type, page_schema, paginate, session,
)
from plugins.housekeeping import KEY, service
from plugins.housekeeping.schemas import WorkerPatchSchema, WorkerSchema

blp = ApiBlueprint("housekeeping", __name__, url_prefix="/housekeeping",
                description="Housekeeping centre: the roster of trained workers sent to residents' homes")


@blp.route("/operators/<int:operator_id>/workers")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(WorkerSchema))
def list_workers(args, operator_id):
    """The centre's roster (its staff, and the community's staff)."""
    db = session()
    return paginate(db, service.roster(operator_of_type(db, current_user(), operator_id, KEY)), args)


@blp.route("/operators/<int:operator_id>/workers", methods=["POST"])
@blp.arguments(WorkerSchema)
@blp.response(201, WorkerSchema)
def add_worker(data, operator_id):
    """Put a trained worker on the roster (the centre's staff)."""
    db = session()
    worker = service.add_worker(db, operator_of_type(db, current_user(), operator_id, KEY, manage=True), **data)
    commit(db)
    return worker


@blp.route("/workers/<int:worker_id>", methods=["PATCH"])
@blp.arguments(WorkerPatchSchema)
@blp.response(200, WorkerSchema)
def update_worker(data, worker_id):
    """Rename a worker, change their skills, or take them off duty (``active: false``)."""
    db = session()
    worker = service.update_worker(db, current_user(), worker_id, data)
    commit(db)
    return worker
