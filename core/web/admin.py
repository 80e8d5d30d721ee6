"""The administrators' pages: the background jobs — each periodic job's last run, the outbox's tasks in hand."""
from __future__ import annotations

from flask import current_app, flash, render_template
from flask_babel import gettext as _
from sqlalchemy import select

from core import memos, outbox
from core.models import Community, OutboxTask
from core.request_session import session as db_session
from core.tasks import describe_schedule
from core.web.common import back_to, page_blueprint, require
from core.web.forms import ActionForm
from core.web.i18n import say

bp = page_blueprint("web_admin", __name__, url_prefix="/admin")


def _runner():
    return current_app.extensions["linli"].queue.runner


def outcome_of(run) -> str:
    """A run's outcome in the reader's language (a failure's technical description stays as it was logged)."""
    if run is None or not run.outcome:
        return ""
    return say(memos.message(memos.as_json(run.outcome_message))) if run.outcome_message else run.outcome


@bp.route("/jobs")
def jobs():
    """The last runs' times in the (first) community's time zone: the admins' day."""
    require("admin")
    db = db_session()
    runner = _runner()
    runs = runner.last_runs(db)
    rows = [(task, say(describe_schedule(task.schedule)), runs[task.name]) for task in runner.periodic()]
    failed = db.scalars(select(OutboxTask).where(OutboxTask.status == "failed")
                        .order_by(OutboxTask.id.desc()).limit(50)).all()
    zone = db.scalar(select(Community.timezone).order_by(Community.id).limit(1)) or "UTC"
    return render_template("admin/jobs.html", rows=rows, depth=outbox.depth(db), failed=failed, form=ActionForm(),
                           outcome_of=outcome_of, zone=zone)


@bp.route("/jobs/<name>/run", methods=["POST"])
def run_job(name: str):
    require("admin")
    ActionForm().validate_on_submit()
    runner = _runner()
    if name not in {task.name for task in runner.periodic()}:
        flash(_("There is no such job."), "error")
        return back_to("web_admin.jobs")
    db_session().rollback()  # the job runs in sessions of its own: this request holds no lock meanwhile
    try:
        run = runner.run_periodic(name)
    except Exception:  # recorded on the page as the run's outcome, and logged with its traceback
        flash(_("The job failed: its line below says why."), "error")
        return back_to("web_admin.jobs")
    flash(outcome_of(run), "success" if run.status == "ok" else "error")
    return back_to("web_admin.jobs")
