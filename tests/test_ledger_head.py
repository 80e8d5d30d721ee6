"""The published chain head: printed as the database holds it, and the check that a restored database still holds it.

verify-ledger cannot see a chain rewritten with fresh hashes; the head published with the backup can. The restore
drill of docs/operations.md runs here for real on PostgreSQL: pg_dump, pg_restore into a new database, then
verify-ledger and ``ledger-head --expect`` there.
"""
import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, select, text
from sqlalchemy.orm import Session

from core import create_app, ledger, ledger_heads
from core.ledger import credit, debit
from core.models import JournalEntry, LedgerHead
from tests.conftest import CONFIGURED_URL, DATABASE_URL, WORKER
from tests.factories import make_community, make_operator

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def books(db):
    """Two communities: one with five entries, one with none."""
    busy, quiet = make_community(db), make_community(db)
    operator = make_operator(db, busy)
    for n in range(5):
        ledger.post(db, busy, "test", f"head:{n}", [debit("fund_cash", 100 + n, operator.id),
                                                    credit("donation_income", 100 + n, operator.id)], "CNY")
    db.commit()
    return busy, quiet, operator


def cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def publish(app, tmp_path, *args):
    result = cli(app, "ledger-head", *args)
    assert result.exit_code == 0, result.output
    path = tmp_path / "heads.txt"
    path.write_text(result.output, encoding="utf-8")
    return path


def test_the_printed_head_is_the_last_entry_of_each_chain(app, db, books):
    busy, quiet, _ = books
    last = db.scalars(select(JournalEntry).where(JournalEntry.community_id == busy.id)
                      .order_by(JournalEntry.seq.desc())).first()
    heads = {h.community: h for h in ledger_heads.published(cli(app, "ledger-head").output)}
    assert heads[busy.slug] == ledger_heads.Head(busy.slug, 5, last.id, last.effective_on, last.hash)
    assert heads[busy.slug].hash == db.get(LedgerHead, busy.id).hash
    assert heads[quiet.slug] == ledger_heads.Head(quiet.slug, 0, None, None, ledger.GENESIS)
    only = ledger_heads.published(cli(app, "ledger-head", "--community", quiet.slug).output)
    assert [h.community for h in only] == [quiet.slug]


def test_the_same_database_and_one_with_later_entries_hold_the_published_head(app, db, books, tmp_path):
    busy, quiet, operator = books
    published = publish(app, tmp_path)
    ledger.post(db, busy, "test", "after", [debit("fund_cash", 7, operator.id), credit("donation_income", 7)], "CNY")
    db.commit()
    result = cli(app, "ledger-head", "--expect", str(published))
    assert result.exit_code == 0, result.output
    assert f"{busy.slug}: holds the published head (entry 5 of the chain)" in result.output
    assert f"{quiet.slug}: holds the published head" in result.output


def test_a_lost_last_entry_is_named_with_its_community(app, db, books, tmp_path):
    busy, quiet, _ = books
    published = publish(app, tmp_path)
    last = db.scalar(select(JournalEntry.id).where(JournalEntry.community_id == busy.id, JournalEntry.seq == 5))
    db.execute(text("DELETE FROM journal_lines WHERE entry_id = :entry"), {"entry": last})
    db.execute(text("DELETE FROM journal_entries WHERE id = :entry"), {"entry": last})
    db.commit()
    result = cli(app, "ledger-head", "--expect", str(published))
    assert result.exit_code == 1
    assert f"{busy.slug}: entry 5 of the chain is missing (this database ends at 4)" in result.output
    assert f"{quiet.slug}: holds the published head" in result.output


def test_a_chain_rewritten_with_fresh_hashes_passes_verify_ledger_but_not_the_published_head(app, db, books,
                                                                                             tmp_path):
    busy, _, _ = books
    published = publish(app, tmp_path, "--community", busy.slug)
    forge(db, busy.id, seq=2)
    assert cli(app, "verify-ledger").exit_code == 0
    result = cli(app, "ledger-head", "--expect", str(published))
    assert result.exit_code == 1 and f"{busy.slug}: entry 5 has hash " in result.output


def forge(db, community_id, seq):
    """Change an amount in entry ``seq`` on both sides and recompute every hash from there: what a forger would do."""
    entry_id = db.scalar(select(JournalEntry.id).where(JournalEntry.community_id == community_id,
                                                       JournalEntry.seq == seq))
    db.execute(text("UPDATE journal_lines SET amount = amount + 1000 WHERE entry_id = :entry"), {"entry": entry_id})
    db.commit()
    db.expire_all()
    entries = db.scalars(select(JournalEntry).where(JournalEntry.community_id == community_id)
                         .order_by(JournalEntry.seq)).all()
    previous = ledger.GENESIS
    for entry in entries:
        if entry.seq >= seq:
            entry.prev_hash = previous
            entry.hash = ledger.entry_hash(previous, ledger.canonical(entry, entry.lines))
        previous = entry.hash
    db.get(LedgerHead, community_id).hash = previous
    db.commit()


def test_an_unreadable_or_empty_published_file_is_refused(app, books, tmp_path):
    busy, _, _ = books
    garbled = tmp_path / "garbled.txt"
    garbled.write_text("# heads\nheping twelve 3 2026-12-01 abc\n", encoding="utf-8")
    result = cli(app, "ledger-head", "--expect", str(garbled))
    assert result.exit_code == 1 and "line 2 is not 'community seq entry effective_on hash'" in result.output
    published = publish(app, tmp_path)
    result = cli(app, "ledger-head", "--expect", str(published), "--community", "elsewhere")
    assert result.exit_code == 1 and "no head of elsewhere in it" in result.output


@pytest.mark.postgres
def test_the_restore_drill_of_a_nightly_backup(app, db, books, tmp_path):
    """docs/operations.md's drill on what deploy/linli-backup wrote: the dump restored into a new database verifies,
    holds the published head and keeps every invariant; tampered with, it fails verify-ledger; rewritten with fresh
    hashes, the head check."""
    busy, _, _ = books
    heads, dump = backup(tmp_path)
    with restored(dump) as (restored_app, session):
        assert cli(restored_app, "verify-ledger").exit_code == 0
        result = cli(restored_app, "ledger-head", "--expect", str(heads))
        assert result.exit_code == 0
        assert f"{busy.slug}: holds the published head (entry 5 of the chain)" in result.output
        assert cli(restored_app, "check").exit_code == 0

        session.execute(text("UPDATE journal_lines SET amount = amount + 1 WHERE id = (SELECT MIN(l.id) "
                             "FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id WHERE e.seq = 3 "
                             "AND e.community_id = :community)"), {"community": busy.id})
        session.commit()
        result = cli(restored_app, "verify-ledger")
        assert result.exit_code == 1 and f"{busy.slug}: chain broken at entry " in result.output

        forge(session, busy.id, seq=3)
        assert cli(restored_app, "verify-ledger").exit_code == 0
        result = cli(restored_app, "ledger-head", "--expect", str(heads))
        assert result.exit_code == 1 and f"{busy.slug}: entry 5 has hash " in result.output


def backup(tmp_path):
    """Run deploy/linli-backup on the test's database, as its timer would; the chain heads and the dump it wrote."""
    folder = tmp_path / "backups"
    folder.mkdir()
    environment = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                   "LINLI_DATABASE_URL": DATABASE_URL, "LINLI_BACKUP_DIR": str(folder),
                   "LINLI_INSTANCE_PATH": str(tmp_path / "instance")}
    subprocess.run([str(ROOT / "deploy" / "linli-backup")], check=True, env=environment, capture_output=True)
    (heads,), (dump,) = folder.glob("linli-*.heads"), folder.glob("linli-*.dump")
    assert not list(folder.glob("*.partial"))
    return heads, dump


def libpq(url: str) -> str:
    """The SQLAlchemy URL as pg_dump and pg_restore take it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextlib.contextmanager
def restored(dump):
    """An app and a session on a new database ``<configured>_restore_<worker>`` that pg_restore made from ``dump``;
    dropped afterwards."""
    configured = make_url(CONFIGURED_URL)
    url = configured.set(database=f"{configured.database}_restore_{WORKER or 'main'}").render_as_string(
        hide_password=False)
    admin = create_engine(CONFIGURED_URL, isolation_level="AUTOCOMMIT")
    name = admin.dialect.identifier_preparer.quote(make_url(url).database)
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={libpq(url)}", str(dump)], check=True)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "restore-drill", "TESTING": True})
    session = Session(app.extensions["linli"].db.engine, expire_on_commit=False)
    try:
        yield app, session
    finally:
        session.close()
        app.extensions["linli"].db.engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
