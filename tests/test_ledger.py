"""The ledger: balanced, append-only, posted once per source, hash-chained, and linear under concurrency."""
import datetime as dt
import functools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from core import ledger
from core.errors import Invalid
from core.errors import text as text_message
from core.ledger import UnbalancedEntry, credit, debit
from core.models import ClosedPeriod, JournalEntry, JournalLine
from tests.conftest import ON_POSTGRES
from tests.factories import make_community, make_operator
from tests.races import race

ACCOUNTS = sorted(ledger.ACCOUNTS)


@pytest.fixture
def books(db):
    community = make_community(db)
    operator = make_operator(db, community)
    db.commit()
    return community, operator


balanced_entry = st.lists(
    st.tuples(st.sampled_from(ACCOUNTS), st.sampled_from(ACCOUNTS), st.integers(1, 10**9)), min_size=1, max_size=4)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(balanced_entry, min_size=1, max_size=8))
def test_any_sequence_of_postings_stays_balanced_and_verifies(db, books, entries):
    community, operator = books
    first = db.scalar(select(JournalEntry.seq).where(JournalEntry.community_id == community.id)
                      .order_by(JournalEntry.seq.desc()).limit(1)) or 0
    for n, moves in enumerate(entries):
        lines = [line for a, b, amount in moves for line in (debit(a, amount, operator.id), credit(b, amount))]
        ledger.post(db, community, "test", f"prop:{first}:{n}", lines, "CNY")
    db.commit()
    from core.checks import unbalanced_entries

    assert unbalanced_entries(db) == []
    assert ledger.verify(db, community.id) == []
    seqs = db.scalars(select(JournalEntry.seq).where(JournalEntry.community_id == community.id)
                      .order_by(JournalEntry.seq)).all()
    assert seqs == list(range(1, len(seqs) + 1))


def test_an_unbalanced_entry_is_refused_and_nothing_is_written(db, books):
    community, operator = books
    with pytest.raises(UnbalancedEntry):
        ledger.post(db, community, "test", "bad", [debit("fund_cash", 100), credit("donation_income", 99)], "CNY")
    with pytest.raises(UnbalancedEntry):
        ledger.post(db, community, "test", "bad", [debit("fund_cash", 100), credit("petty_cash", 100)], "CNY")
    with pytest.raises(UnbalancedEntry):
        ledger.post(db, community, "test", "bad", [debit("fund_cash", 1.5), credit("donation_income", 1.5)], "CNY")
    db.rollback()
    assert db.scalars(select(JournalEntry)).all() == []


def test_a_source_is_posted_once(db, books):
    community, _ = books
    lines = [debit("fund_cash", 100), credit("donation_income", 100)]
    assert ledger.post(db, community, "test", "payment:1", lines, "CNY") is not None
    assert ledger.post(db, community, "test", "payment:1", lines, "CNY") is None
    db.commit()
    assert len(db.scalars(select(JournalEntry)).all()) == 1


def test_a_batch_posts_in_order_skips_posted_sources_and_adds_nothing_if_one_posting_is_bad(db, books):
    community, operator = books
    lines = [debit("fund_cash", 100, operator.id), credit("donation_income", 100, operator.id)]
    ledger.post(db, community, "test", "b:1", lines, "CNY")
    batch = [ledger.Posting("test", source, lines, "CNY") for source in ("b:2", "b:1", "b:3", "b:2")]
    assert [e.source for e in ledger.post_many(db, community, batch)] == ["b:2", "b:3"]
    bad = [ledger.Posting("test", "b:4", lines, "CNY"), ledger.Posting("test", "b:5", lines[:1], "CNY")]
    with pytest.raises(UnbalancedEntry):
        ledger.post_many(db, community, bad)
    db.commit()
    assert db.scalars(select(JournalEntry.source).order_by(JournalEntry.seq)).all() == ["b:1", "b:2", "b:3"]
    assert ledger.verify(db, community.id) == []


def test_a_reversal_is_a_new_entry_that_nets_to_zero(db, books):
    community, operator = books
    original = ledger.post(db, community, "donation", "d:1", [debit("fund_cash", 700, operator.id),
                                                              credit("donation_income", 700, operator.id)], "CNY")
    reversal = ledger.reverse(db, community, original, "reverse:d:1", "posted in error")
    db.commit()
    assert reversal.reverses_id == original.id and reversal.seq == original.seq + 1
    assert ledger.balances(db, community.id, ["fund_cash", "donation_income"]) == {"fund_cash": 0,
                                                                                  "donation_income": 0}


TAMPERING = [
    ("amount", "UPDATE journal_lines SET amount = amount + 1 WHERE id = :line"),
    ("account", "UPDATE journal_lines SET account = 'fund_disbursed' WHERE id = :line"),
    ("side", "UPDATE journal_lines SET side = CASE side WHEN 'D' THEN 'C' ELSE 'D' END WHERE id = :line"),
    ("operator", "UPDATE journal_lines SET operator_id = NULL WHERE id = :line"),
    ("date", "UPDATE journal_entries SET effective_on = :day WHERE id = :entry"),
    ("period", "UPDATE journal_entries SET period = '1999-01' WHERE id = :entry"),
    ("memo", "UPDATE journal_entries SET memo = 'nothing to see' WHERE id = :entry"),
    ("memo's message", "UPDATE journal_entries SET memo_message = replace(memo_message, '102', '999') "
                       "WHERE id = :entry"),
    ("memo's message removed", "UPDATE journal_entries SET memo_message = NULL WHERE id = :entry"),
    ("deleted line", "DELETE FROM journal_lines WHERE id = :line"),
    ("currency", "UPDATE journal_lines SET currency = 'USD' WHERE id = :line"),
    ("both sides, still balanced", "UPDATE journal_lines SET amount = amount + 1000 WHERE entry_id = :entry"),
    ("inserted line", "INSERT INTO journal_lines (entry_id, account, operator_id, side, amount, currency) "
                      "VALUES (:entry, 'fund_cash', NULL, 'D', 1, 'CNY')"),
    ("line moved to the next entry", "UPDATE journal_lines SET entry_id = :next WHERE id = :line"),
    ("kind", "UPDATE journal_entries SET kind = 'refund' WHERE id = :entry"),
    ("source", "UPDATE journal_entries SET source = 'other' WHERE id = :entry"),
    ("entry operator", "UPDATE journal_entries SET operator_id = (SELECT MIN(id) FROM operators) WHERE id = :entry"),
]


@pytest.fixture(params=["whole", "in parts"] if ON_POSTGRES else ["whole"])
def parts(request, monkeypatch):
    """verify() on the whole chain and, on PostgreSQL, in two parts at once (the seam between entries 2 and 3),
    as it checks a long chain."""
    if request.param == "in parts":
        monkeypatch.setattr(ledger, "PARALLEL_FROM", 2)


@pytest.mark.parametrize("what, statement", TAMPERING, ids=[t[0] for t in TAMPERING])
def test_tampering_with_a_stored_entry_is_found_with_its_id(app, db, books, parts, what, statement):
    community, operator = books
    _four_entries(db, community, operator)
    target, following = (db.scalars(select(JournalEntry).where(JournalEntry.seq == seq)).one() for seq in (3, 4))
    line = target.lines[0].id
    db.execute(text(statement), {"line": line, "entry": target.id, "next": following.id, "day": dt.date(2001, 1, 1)})
    db.commit()
    db.expire_all()
    problems = ledger.verify(db, community.id)
    assert problems and problems[0].entry_id == target.id
    result = verify_ledger(app)
    assert result.exit_code == 1 and f"chain broken at entry {target.id}:" in result.output


def _four_entries(db, community, operator):
    for n in range(4):
        ledger.post(db, community, "test", f"t:{n}", [debit("fund_cash", 100 + n, operator.id),
                                                      credit("donation_income", 100 + n, operator.id)], "CNY",
                    memo=text_message("Bank transfer %(reference)s", reference=f"B-{100 + n}"))
    db.commit()
    return db.scalars(select(JournalEntry).order_by(JournalEntry.seq)).all()


def verify_ledger(app, *args):
    return app.test_cli_runner().invoke(args=["verify-ledger", *args])


def test_an_edit_whose_hash_was_recomputed_breaks_the_link_of_the_next_entry(app, db, books, parts):
    """Whoever edits an entry and rewrites its hash to match is still caught: the next entry links to the old hash."""
    community, operator = books
    entries = _four_entries(db, community, operator)
    target = entries[1]
    db.execute(text("UPDATE journal_lines SET amount = 5000 WHERE entry_id = :entry"), {"entry": target.id})
    db.commit()
    db.expire_all()
    forged = db.get(JournalEntry, target.id)
    db.execute(text("UPDATE journal_entries SET hash = :hash WHERE id = :entry"),
               {"hash": ledger.entry_hash(forged.prev_hash, ledger.canonical(forged, forged.lines)), "entry": target.id})
    db.commit()
    db.expire_all()
    assert [p.entry_id for p in ledger.verify(db, community.id)][:1] == [entries[2].id]
    result = verify_ledger(app, "--community", community.slug)
    assert result.exit_code == 1 and f"chain broken at entry {entries[2].id}:" in result.output


def test_a_deleted_last_entry_is_found_by_the_chain_head(app, db, books, parts):
    community, operator = books
    last = _four_entries(db, community, operator)[-1]
    db.execute(text("DELETE FROM journal_lines WHERE entry_id = :entry"), {"entry": last.id})
    db.execute(text("DELETE FROM journal_entries WHERE id = :entry"), {"entry": last.id})
    db.commit()
    result = verify_ledger(app)
    assert result.exit_code == 1 and "the chain head does not match the last entry" in result.output
    check = app.test_cli_runner().invoke(args=["check"])
    assert check.exit_code == 1 and "chain head" in check.output


def test_an_intact_chain_verifies_with_exit_status_0(app, db, books):
    community, operator = books
    _four_entries(db, community, operator)
    result = verify_ledger(app, "--community", community.slug)
    assert result.exit_code == 0 and result.output.strip() == f"{community.slug}: chain intact"


@pytest.mark.parametrize("day", [dt.date(1999, 12, 31), dt.date(2101, 1, 1), dt.date(9999, 12, 31)])
def test_an_entry_dated_outside_the_books_years_is_refused(db, books, day):
    """Reconciliation, settlement and reports know the periods of 2000–2100 only: an entry beyond would be lost."""
    community, _ = books
    with pytest.raises(Invalid):
        ledger.post(db, community, "test", "far", [debit("fund_cash", 5), credit("donation_income", 5)], "CNY",
                    effective_on=day)


def test_a_late_entry_lands_in_the_next_open_period(db, books):
    community, operator = books
    db.add(ClosedPeriod(community_id=community.id, period="2026-10"))
    db.add(ClosedPeriod(community_id=community.id, period="2026-11"))
    entry = ledger.post(db, community, "test", "late", [debit("fund_cash", 5), credit("donation_income", 5)], "CNY",
                        effective_on=dt.date(2026, 10, 30))
    assert (entry.effective_on, entry.period, entry.late_from) == (dt.date(2026, 12, 1), "2026-12", "2026-10")
    on_time = ledger.post(db, community, "test", "on-time", [debit("fund_cash", 5), credit("donation_income", 5)],
                          "CNY", effective_on=dt.date(2026, 9, 30))
    assert (on_time.period, on_time.late_from) == ("2026-09", None)


@pytest.mark.postgres
def test_concurrent_postings_keep_one_linear_chain(app, db, books):
    community, operator = books
    db.commit()
    sessionmaker = app.extensions["linli"].db.sessionmaker

    def post(n):
        with sessionmaker() as session:
            fresh = session.get(type(community), community.id)
            ledger.post(session, fresh, "test", f"race:{n}", [debit("fund_cash", n + 1, operator.id),
                                                              credit("donation_income", n + 1, operator.id)], "CNY")
            session.commit()

    race([functools.partial(post, n) for n in range(80)], threads=8)
    seqs = db.scalars(select(JournalEntry.seq).where(JournalEntry.community_id == community.id)
                      .order_by(JournalEntry.seq)).all()
    assert seqs == list(range(1, 81))
    assert ledger.verify(db, community.id) == []
    assert ledger.balances(db, community.id, ["fund_cash"]) == {"fund_cash": sum(range(1, 81))}
    assert db.scalar(select(JournalLine.id).where(JournalLine.amount <= 0)) is None


def test_the_chain_hashes_an_entry_exactly_as_python_does(db, books):
    """verify-ledger's chain (hashed in the database on PostgreSQL): the same bytes as canonical(), every kind of field."""
    community, operator = books
    ledger.post(db, community, "test", "plain", [debit("fund_cash", 700), credit("donation_income", 700)], "CNY")
    first = ledger.post(db, community, "donation", "unicode", [
        debit("operator_donations", 12_345_678_901, operator.id), credit("donations_payable", 12_345_678_901, operator.id),
        debit("fund_cash", 1), credit("donation_income", 1, operator.id)], "CNY",
        memo="食堂的捐款 — ünïcödé 🍜 \\ % '", operator_id=operator.id, effective_on=dt.date(2026, 9, 30))
    ledger.reverse(db, community, first, "reversal", memo="")
    ledger.post(db, community, "test", "message", [debit("fund_cash", 9), credit("gift_income", 9)], "CNY",
                memo=text_message("Refund of payment %(payment)s: %(reason)s", payment=3,
                                  reason=text_message("取消 — ünïcödé 🍜 \\ %% ' \"%(who)s\"", who="老王")))
    db.add(ClosedPeriod(community_id=community.id, period="2026-10"))
    db.flush()
    ledger.post(db, community, "test", "late", [debit("fund_cash", 5), credit("donation_income", 5)], "CNY",
                effective_on=dt.date(2026, 10, 15))
    db.commit()
    db.expire_all()
    entries = db.scalars(select(JournalEntry).where(JournalEntry.community_id == community.id)
                         .order_by(JournalEntry.seq)).all()
    assert entries[-1].late_from == "2026-10" and entries[2].reverses_id == entries[1].id
    in_database = {entry_id: content_hash for entry_id, *_, content_hash in ledger.chain(db, community.id)}
    assert in_database == {e.id: ledger.entry_hash(e.prev_hash, ledger.canonical(e, e.lines)) for e in entries}
    assert in_database == {e.id: e.hash for e in entries}
