"""The ``linli`` command: a Flask CLI group over the app factory."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext
from werkzeug.serving import run_simple

from core import logs, migrate
from core.config import ConfigurationError
from core.errors import DomainError


def _create_app():
    from core import create_app

    app = create_app()
    logs.configure(app.config["LOG_FORMAT"])
    return app


class LinliGroup(FlaskGroup):
    """Turns domain errors and a configuration Linli cannot start with into a clear message and exit status 1,
    not a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except DomainError as e:
            details = f" {e.errors}" if e.errors else ""
            raise click.ClickException(f"{e.detail} ({e.code}){details}") from None
        except ConfigurationError as e:
            raise click.ClickException(str(e)) from None

    def list_commands(self, ctx):
        """The commands for ``--help``; with a configuration Linli cannot start with, its message and the core's."""
        try:
            ctx.ensure_object(ScriptInfo).load_app()
        except ConfigurationError as e:
            click.secho(f"Error: {e}\n", err=True, fg="red")
            return super(FlaskGroup, self).list_commands(ctx)
        return super().list_commands(ctx)


@click.group(cls=LinliGroup, create_app=_create_app, add_default_commands=False, add_version_option=False)
def main():
    """Linli: space for service, tiered prices, a transparent community fund."""


@click.group("db")
def db_group():
    """Database schema (Alembic)."""


@db_group.command("upgrade")
@click.option("--revision", default="heads", show_default=True)
@with_appcontext
def db_upgrade(revision):
    """Upgrade the database LINLI_DATABASE_URL names to the latest schema."""
    migrate.upgrade(current_app, revision)
    click.echo(f"database at {revision}")


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message):
    """Write a new core migration from the models (for developers)."""
    migrate.revision(current_app, message)


@click.command("seed-demo")
@click.option("--activity", is_flag=True, help="also a few days of bookings and records, as `linli demo` shows")
@with_appcontext
def seed_demo(activity):
    """Load the demo data (idempotent)."""
    from core import demo

    created = demo.seed(current_app)
    click.echo("demo data loaded" if created else "demo data already present")
    if activity and demo.seed_activity(current_app):
        click.echo("demo activity in place: the neighbours' bookings and the operators' records")


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def run_demo(host, port):
    """Upgrade the database, seed the demo data if it is empty, and serve."""
    from core import demo

    migrate.upgrade(current_app)
    if demo.seed(current_app):
        click.echo("demo data loaded: every demo account's password is demo-password")
    demo.seed_activity(current_app)  # the neighbours' bookings and the operators' records, once per database
    queue = current_app.extensions["linli"].queue
    if queue.celery is None:
        queue.start()  # no broker: holds expire, slots are made and messages go out from this process
    click.echo(f"serving Linli on http://{host}:{port}  (Ctrl+C stops)")
    run_simple(host, port, current_app._get_current_object(), threaded=True)


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", default=None)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", "roles", multiple=True, help="ROLE or ROLE@COMMUNITY_SLUG, e.g. community_staff@heping")
@with_appcontext
def create_user(email, name, password, roles):
    """Create a user with roles scoped to communities."""
    from core import accounts
    from core.db import commit
    from core.request_session import session

    db = session()
    user = accounts.create_user(db, email, name or email.split("@")[0], password,
                                [accounts.parse_role(db, spec) for spec in roles])
    commit(db)
    click.echo(f"user {user.id} {user.email}")


@click.command("create-community")
@click.option("--slug", required=True, help="lower-case letters, digits and hyphens, e.g. heping-east")
@click.option("--name", required=True)
@click.option("--currency", default="CNY", show_default=True, help="ISO 4217, e.g. CNY, HKD, USD")
@click.option("--timezone", default="Asia/Shanghai", show_default=True, help="IANA name, e.g. Asia/Shanghai")
@with_appcontext
def create_community(slug, name, currency, timezone):
    """Open a new community on this deployment, every installed operator type on."""
    from core import communities
    from core.db import commit
    from core.request_session import session

    db = session()
    community = communities.create_community(db, None, slug, name, currency, timezone)
    commit(db)
    click.echo(f"community {community.id} {community.slug}")


@click.command("grant-role")
@click.option("--email", required=True)
@click.option("--role", "roles", multiple=True, required=True,
              help="ROLE@COMMUNITY_SLUG, once per community, e.g. district_officer@heping")
@with_appcontext
def grant_role(email, roles):
    """Give an existing user more roles, each scoped to a community (a district officer: one per community)."""
    from core import accounts
    from core.db import commit
    from core.request_session import session

    db = session()
    user = accounts.user_by_email(db, email)
    for spec in roles:
        accounts.grant_once(db, user, *accounts.parse_role(db, spec))
    commit(db)
    click.echo(f"user {user.id} {user.email}: " + ", ".join(
        sorted(f"{g.role}@{g.community_id or '*'}" for g in user.grants)))


@click.command("expire-holds")
@with_appcontext
def expire_holds():
    """Expire payment holds that have run out and free their places (bookings do this lazily too)."""
    from core.booking import expire_holds as expire
    from core.db import commit, utcnow
    from core.request_session import session

    db = session()
    count = expire(db, current_app.extensions["linli"].plugins, utcnow())
    commit(db)
    click.echo(f"{count} holds expired")


@click.command("generate-slots")
@with_appcontext
def generate_slots():
    """Make the slots of every weekly schedule for the next 28 days (each once; run it daily)."""
    from core.db import commit
    from core.request_session import session
    from core.schedules import generate

    db = session()
    count = generate(db)
    commit(db)
    click.echo(f"{count} slots made")


@click.command("verify-resident")
@click.option("--email", required=True, help="the resident")
@click.option("--attribute", required=True, type=click.Choice(["student", "low_income", "disability"]))
@click.option("--by", "by_email", required=True, help="the community staff member who checked it")
@click.option("--clear", is_flag=True, help="withdraw the attribute instead")
@with_appcontext
def verify_resident(email, attribute, by_email, clear):
    """Set or clear a resident's verified attribute, recorded with who and when."""
    from sqlalchemy import select

    from core import eligibility
    from core.db import commit
    from core.models import User
    from core.request_session import session

    db = session()
    resident, staff = (db.scalar(select(User).where(User.email == e.strip().lower())) for e in (email, by_email))
    if resident is None or resident.profile is None or staff is None:
        raise click.ClickException("no such resident or staff member")
    (eligibility.clear if clear else eligibility.verify)(db, staff, resident.profile, attribute)
    commit(db)
    click.echo(f"{attribute} {'cleared' if clear else 'verified'} for {resident.email}")


def _community(db, slug):
    from core.api.common import community_by_ref

    return community_by_ref(db, slug)


@click.command("import-residents")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--community", "slug", required=True)
@click.option("--dry-run", is_flag=True, help="check and count every row, write nothing")
@with_appcontext
def import_residents(path, slug, dry_run):
    """Import the resident register from a spreadsheet saved as CSV (UTF-8); exit 1 if any row was refused."""
    from core import resident_import
    from core.db import commit
    from core.ledger import local_today
    from core.request_session import session

    db = session()
    community = _community(db, slug)
    with open(path, "rb") as file:
        sheet = resident_import.read(file.read(), local_today(community))
    with click.progressbar(length=len(sheet.entries), label="importing", file=sys.stderr) as bar:
        report = resident_import.import_sheet(db, None, community, sheet, dry_run=dry_run, progress=bar.update)
    if not dry_run:
        commit(db)
    click.echo(f"{'dry run, nothing written: ' if dry_run else ''}{report.created} created, {report.updated} updated, "
               f"{report.unchanged} unchanged, {report.refused} rows refused")
    for error in report.errors:
        click.echo(f"row {error.row}{f' {error.field}' if error.field else ''}: {error.message}")
    if report.errors:
        raise SystemExit(1)


@click.command("settle")
@click.option("--community", "slug", required=True)
@click.option("--period", required=True, help="YYYY-MM")
@with_appcontext
def settle(slug, period):
    """Post the period's profit-share and fixed donations and print every operator's statement."""
    from core import settlement
    from core.db import commit
    from core.request_session import session

    db = session()
    types = current_app.extensions["linli"].plugins.operator_types
    statements = settlement.settle(db, types, _community(db, slug), period)
    commit(db)
    click.echo(f"{'operator':32} {'gross':>10} {'refunds':>9} {'costs':>10} {'due':>9} {'received':>9} "
               f"{'outstanding':>11}")
    for s in statements:
        click.echo(f"{s['operator'][:32]:32} {s['gross_revenue_amount']:>10} {s['refunds_amount']:>9} "
                   f"{s['declared_costs_amount']:>10} {s['donation_due_amount']:>9} "
                   f"{s['donation_received_amount']:>9} {s['outstanding_amount']:>11}")


@click.command("evaluate")
@click.option("--community", "slug", required=True)
@click.option("--period", default=None, help="YYYY-MM: score each operator's month (it must have ended)")
@click.option("--year", type=int, default=None, help="YYYY: grade each operator's year in stars (it must have ended)")
@with_appcontext
def evaluate(slug, period, year):
    """Score each operator's month (as the job on the 1st does) and print the scores; or grade a year in stars."""
    from core import evaluation, settlement
    from core.db import commit
    from core.request_session import session

    if (period is None) == (year is None):
        raise click.UsageError("give --period YYYY-MM or --year YYYY")
    db = session()
    community = _community(db, slug)
    names = {op.id: op.name for op in settlement.operators(db, community.id)}
    if period is not None:
        rows = [(row.operator_id, f"{row.score_tenths / 10:.1f}", "adjusted" if row.adjusted else "computed")
                for row in evaluation.evaluate(db, community, period)]
    else:
        rows = [(row.operator_id, f"{row.average_tenths / 10:.1f}", f"{row.stars or '-'} stars, {row.months} months")
                for row in evaluation.grade_year(db, community, year)]
    commit(db)
    for operator_id, figure, note in rows:
        click.echo(f"{names[operator_id][:32]:32} {figure:>5} {note}")


@click.command("reconcile")
@click.option("--community", "slug", required=True)
@click.option("--period", required=True, help="YYYY-MM")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, writable=True), default=None,
              help="also write the table as machine-readable CSV (English column names, amounts in minor units, "
                   "UTF-8 without BOM)")
@with_appcontext
def reconcile(slug, period, csv_path):
    """Donations due vs received per operator for a period, with the variance."""
    from core import fund
    from core.exports import for_tools, reconciliation_table
    from core.request_session import session

    db = session()
    report = fund.reconciliation(db, _community(db, slug), period)
    click.echo(f"{report['period']} {'(closed)' if report['closed'] else '(open)'} {report['currency']}")
    click.echo(f"{'operator':32} {'due':>10} {'online':>10} {'transfer':>10} {'variance':>10} {'in kind':>10}")
    for row in report["operators"]:
        click.echo(f"{row['operator'][:32]:32} {row['due_amount']:>10} {row['received_online_amount']:>10} "
                   f"{row['received_transfer_amount']:>10} {row['variance_amount']:>10} {row['in_kind_amount']:>10}"
                   + "".join(f"\n    note: {n['note']}" for n in row["notes"]))
    if csv_path:
        with open(csv_path, "w", encoding="utf-8", newline="") as out:
            out.write(for_tools(reconciliation_table(report)))
        click.echo(f"written to {csv_path}")


@click.command("verify-ledger")
@click.option("--community", "slug", default=None)
@with_appcontext
def verify_ledger(slug):
    """Recompute each community's hash chain; exit 1 naming the first entry that no longer matches."""
    from sqlalchemy import select

    from core import ledger
    from core.models import Community
    from core.request_session import session

    db = session()
    communities = [_community(db, slug)] if slug else db.scalars(select(Community).order_by(Community.id)).all()
    broken = False
    for community in communities:
        problems = ledger.verify(db, community.id)
        if problems:
            broken = True
            click.echo(f"{community.slug}: chain broken at {problems[0]}")
            for problem in problems[1:]:
                click.echo(f"  also {problem}")
        else:
            click.echo(f"{community.slug}: chain intact")
    if broken:
        raise SystemExit(1)


@click.command("ledger-head")
@click.option("--community", "slug", default=None)
@click.option("--expect", "expected_file", type=click.File("r", encoding="utf-8"), default=None,
              help="a file this command printed earlier: exit 1 naming each community whose chain no longer "
                   "holds the head printed there (run it on a restored database, after verify-ledger)")
@with_appcontext
def ledger_head(slug, expected_file):
    """Print each community's chain head (seq, entry id, effective date, hash), to publish with every backup."""
    from sqlalchemy import select

    from core import ledger_heads
    from core.db import utcnow
    from core.models import Community
    from core.request_session import session

    db = session()
    if expected_file is None:
        communities = [_community(db, slug)] if slug else db.scalars(select(Community).order_by(Community.id)).all()
        click.echo(ledger_heads.printed([ledger_heads.head(db, c) for c in communities], utcnow()), nl=False)
        return
    try:
        expected = ledger_heads.published(expected_file.read())
    except ledger_heads.UnreadableHeads as e:
        raise click.ClickException(f"{expected_file.name}: {e}") from None
    expected = [head for head in expected if not slug or head.community == slug]
    if not expected:
        raise click.ClickException(f"{expected_file.name}: no head of {slug or 'any community'} in it")
    differences = []
    for head in expected:
        difference = ledger_heads.difference(db, head)
        differences.append(difference)
        click.echo(difference or f"{head.community}: holds the published head (entry {head.seq} of the chain)")
    if any(differences):
        raise SystemExit(1)


@click.command("check")
@with_appcontext
def check():
    """Check every invariant: balanced journals, no slot over capacity, fund balance, chain intact."""
    from core.checks import violations
    from core.request_session import session

    found = violations(session())
    for violation in found:
        click.echo(violation)
    if found:
        raise SystemExit(1)
    click.echo("all invariants hold")


@click.group("statements")
def statements_group():
    """The payment services' own statements, matched against the books in the reconciliation."""


@statements_group.command("import")
@click.option("--provider", required=True, help="the payment provider's key, e.g. wechat_pay, alipay, stripe")
@click.option("--day", required=True, type=click.DateTime(["%Y-%m-%d"]), help="the statement's day, YYYY-MM-DD")
@with_appcontext
def import_statement(provider, day):
    """Import (again) one day of a provider's statement: its lines replace those imported before."""
    from core.db import commit
    from core.payments import statements
    from core.request_session import session

    found = current_app.extensions["linli"].plugins.payment_providers.get(provider)
    if found is None or not found.has_statements or not found.is_configured(current_app.config):
        raise click.ClickException(f"{provider!r} is not a configured provider that gives statements")
    db = session()
    count = statements.import_day(db, found, day.date(), current_app.config)
    commit(db)
    click.echo(f"{provider} {day.date().isoformat()}: {count} lines")


def _queue():
    return current_app.extensions["linli"].queue


def _celery_or_exit():
    celery = _queue().celery
    if celery is None:
        raise click.ClickException("set LINLI_BROKER_URL (e.g. redis://127.0.0.1:6379/0): the worker and the scheduler "
                                   "share their work through it. Without it, `linli demo` runs the jobs itself.")
    return celery


@click.command("worker")
@click.option("--concurrency", type=int, default=None, help="processes (default: the number of CPUs)")
@with_appcontext
def worker(concurrency):
    """Run the background worker (Celery on LINLI_BROKER_URL): outbox tasks and periodic jobs."""
    argv = ["worker", "--loglevel=INFO", "--without-gossip", "--without-mingle"]
    if concurrency:
        argv.append(f"--concurrency={concurrency}")
    _celery_or_exit().worker_main(argv)


@click.command("scheduler")
@with_appcontext
def scheduler():
    """Run the periodic schedule (Celery beat): sends each periodic job, and the outbox sweep, when due."""
    _celery_or_exit().start(["beat", "--loglevel=INFO"])


@click.group("jobs", invoke_without_command=True)
@click.pass_context
@with_appcontext
def jobs(ctx):
    """Each periodic job's schedule and last run, and the outbox's tasks in hand; `linli jobs run NAME` runs one."""
    if ctx.invoked_subcommand is not None:
        return
    from core import outbox
    from core.request_session import session
    from core.tasks import describe_schedule

    db = session()
    runner = _queue().runner
    click.echo(f"{'job':24} {'schedule':28} {'last run (UTC)':20} {'status':8} outcome")
    for name, run in runner.last_runs(db).items():
        schedule = describe_schedule(runner.tasks[name].schedule)
        started = run.started_at.strftime("%Y-%m-%d %H:%M:%S") if run else "never"
        click.echo(f"{name:24} {schedule[:28]:28} {started:20} {run.status if run else '-':8} "
                   f"{(run.outcome or '') if run else ''}")
    depth = outbox.depth(db)
    click.echo(f"outbox: {depth['pending']} pending, {depth['running']} running, {depth['failed']} failed")
    if any(run is not None and run.status == "failed" for run in runner.last_runs(db).values()) or depth["failed"]:
        raise SystemExit(1)


@jobs.command("run")
@click.argument("name")
@with_appcontext
def run_job(name):
    """Run the periodic job NAME now (recorded like a scheduled run); exit 1 if it failed."""
    runner = _queue().runner
    if name not in {task.name for task in runner.periodic()}:
        raise click.ClickException(f"no periodic job is named {name!r}: "
                                   f"{', '.join(task.name for task in runner.periodic())}")
    try:
        run = runner.run_periodic(name)
    except Exception as error:
        raise click.ClickException(f"{name} failed: {error}") from None
    click.echo(f"{name}: {run.status}: {run.outcome or ''}")
    if run.status != "ok":
        raise SystemExit(1)


CORE_COMMANDS = (db_group, seed_demo, run_demo, create_user, create_community, grant_role, expire_holds, generate_slots, verify_resident,
                 import_residents, settle, evaluate, reconcile, verify_ledger, ledger_head, check, statements_group,
                 worker, scheduler, jobs)


def register_commands(app, plugin_commands) -> None:
    for command in (*CORE_COMMANDS, *plugin_commands):
        app.cli.add_command(command)
