"""SQL only through bound parameters: no statement in the core or the plugins is built by formatting a string.

Queries are SQLAlchemy expressions; the few raw statements are constant strings
with ``:name`` parameters. This test reads the code (every ``.py`` under ``core/``
and ``plugins/``) and fails on a statement built with an f-string, ``%``,
``+`` or ``.format()``, so string-built SQL cannot slip in unnoticed.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SQL_CALLS = {"text", "exec_driver_sql", "execute", "executemany", "literal_column", "from_statement"}
SOURCES = sorted(p for folder in ("core", "plugins") for p in (ROOT / folder).rglob("*.py"))


def built_by_formatting(node: ast.expr) -> bool:
    """An f-string with placeholders, ``"…" % x``, ``"…" + x`` or ``"…".format(x)``."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(part, ast.FormattedValue) for part in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
        return True
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"
            and isinstance(node.func.value, ast.Constant))


def called_name(call: ast.Call) -> str | None:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def formatted_statements(source: str) -> list[int]:
    """Line numbers of SQL calls whose statement is built by formatting."""
    return [node.lineno for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and called_name(node) in SQL_CALLS and node.args
            and built_by_formatting(node.args[0])]


def test_no_statement_is_built_by_formatting_a_string():
    found = {str(path.relative_to(ROOT)): lines for path in SOURCES
             if (lines := formatted_statements(path.read_text(encoding="utf-8")))}
    assert len(SOURCES) > 50 and not found, f"SQL built by formatting (bind parameters instead): {found}"


@pytest.mark.parametrize("statement, found", [
    ('session.execute(text(f"SELECT * FROM users WHERE email = \'{email}\'"))', True),
    ('conn.exec_driver_sql("DELETE FROM t WHERE id = %s" % ident)', True),
    ('session.execute(text("SELECT 1 FROM t WHERE a = " + value))', True),
    ('session.execute(text("SELECT {} FROM t".format(column)))', True),
    ('session.execute(text("SELECT * FROM users WHERE email = :email"), {"email": email})', False),
    ('connection.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")', False),
    ('session.execute(select(User).where(User.email == email))', False),
])
def test_the_check_tells_bound_from_formatted(statement, found):
    assert bool(formatted_statements(statement)) is found
