"""Importing the resident register from a spreadsheet saved as CSV: the office's own list, checked row by row.

The first row names the columns, in Chinese or in English, in any order (:data:`HEADERS`): 姓名/name and
手机/phone are needed, the others may be left out; a column the register does not know is refused, so that no
column is silently dropped (楼号 for 楼栋, say). Each row is checked by the register's own rules
(:mod:`core.residents`); a row with a problem is reported — its row number as the spreadsheet shows it, the field,
the message — and not written; the other rows are. The phone identifies a resident: a phone the community's
register knows updates that resident's particulars where a cell says something (an empty cell leaves the field as
it is), so importing the same file again writes nothing new. A cell that starts like a formula (=, +, -, @) is
refused: a spreadsheet that opens an export of the register one day must never run it (CSV injection).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import audit, residents
from core.accounts import EMAIL_TAKEN, well_formed_email
from core.errors import N_, DomainError, Message, conflict, invalid
from core.input_text import CONTROL_CHARACTERS, INVISIBLE_CHARACTERS
from core.models import Community, ResidentProfile, User
from core.phones import normalize_phone

HEADERS = (("name", "姓名"), ("phone", "手机"), ("date_of_birth", "出生日期"), ("address", "住址"),
           ("building", "楼栋"), ("email", "邮箱"))
"""Each field, by its English and its Chinese column name."""
COLUMNS = {name: key for key, chinese in HEADERS for name in (key, chinese)}
NEEDED = ("name", "phone")
EXPECTED = ", ".join(f"{chinese}/{key}" for key, chinese in HEADERS)
LENGTHS = {"name": residents.NAME_LENGTH, "address": residents.ADDRESS_LENGTH,
           "building": residents.BUILDING_LENGTH}
FORMULA_STARTS = ("=", "+", "-", "@")
DATES = (re.compile(r"(?P<y>[0-9]{4})(?P<sep>[-/])(?P<m>[0-9]{1,2})(?P=sep)(?P<d>[0-9]{1,2})"),
         re.compile(r"(?P<y>[0-9]{4})年(?P<m>[0-9]{1,2})月(?P<d>[0-9]{1,2})日"))
"""YYYY-MM-DD, and what spreadsheets make of it: YYYY/M/D and YYYY年M月D日."""
MOST_BYTES = 20 * 1024 * 1024
"""The largest file taken: 100,000 rows of a register take about 10 MiB."""
BATCH = 1000

NOT_UTF8 = invalid("not_utf8", N_(
    "The file is not UTF-8 text. In the spreadsheet, save it as “CSV UTF-8”, then send it again."))
NOT_A_REGISTER = invalid("not_a_register", N_(
    "This file is not a register: its first row must name the columns, at least 姓名/name and 手机/phone. "
    "The columns are %(columns)s."))
UNKNOWN_COLUMN = invalid("unknown_column", N_(
    "The register has no column “%(column)s”: please rename or remove it. The columns are %(columns)s."))
COLUMN_TWICE = invalid("column_twice", N_("The column %(column)s is in the first row twice."))
CSV_UNREADABLE = invalid("csv_unreadable", N_(
    "Line %(line)s of the file cannot be read as CSV: please save the file again as CSV UTF-8."))
REGISTER_CHANGED = conflict("register_changed", N_(
    "Someone changed the register while the file was being imported, so nothing was imported. Please try again."))
FORMULA_CELL = invalid("formula_cell", N_(
    "This starts with =, +, - or @, as a spreadsheet formula does: it is refused, so that it can never run when "
    "the register is opened in a spreadsheet. Please remove that first character."))
DATE_UNREADABLE = invalid("date_unreadable", N_(
    "Please write the date as YYYY-MM-DD, YYYY/MM/DD or YYYY年M月D日, e.g. 1950-03-21."))
TOO_LONG = invalid("cell_too_long", N_("Please write at most %(most)s characters."))
CELL_WITHOUT_COLUMN = invalid("cell_without_column", N_(
    "This row has a cell with no column name above it: does a cell hold a comma without quotes around it?"))
PHONE_TWICE = invalid("phone_twice_in_file", N_("The phone number %(phone)s is on row %(first)s already."))
EMAIL_TWICE = invalid("email_twice_in_file", N_("The email %(email)s is on row %(first)s already."))
MOVED_AWAY = conflict("resident_moved_away", N_(
    "The resident with this phone number has moved away (deactivated): the row is not imported, and a spreadsheet "
    "does not bring them back."))
PENDING = conflict("resident_pending", N_(
    "The resident with this phone number signed up and waits for the office to see their ID card: please verify "
    "them on their page, then import again."))


@dataclass(frozen=True)
class RowError:
    row: int  # as the spreadsheet numbers it: the first row, the column names, is 1
    field: str | None  # None: the row as a whole
    code: str
    message: Message


@dataclass(frozen=True)
class Entry:
    row: int
    particulars: residents.Particulars  # checked: a stripped name, a normalized phone; None where a cell is empty


@dataclass
class Sheet:
    entries: list[Entry] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


@dataclass
class Report:
    created: int = 0
    updated: int = 0
    unchanged: int = 0  # rows the register already held as they are
    errors: list[RowError] = field(default_factory=list)

    @property
    def refused(self) -> int:
        return len({error.row for error in self.errors})


def read(data: bytes, today: dt.date) -> Sheet:
    """The file's rows checked one by one (before the database is asked); refuses a file that is no register."""
    try:
        content = data.decode("utf-8-sig")  # the BOM Excel writes is dropped
    except UnicodeDecodeError:
        raise NOT_UTF8(field="file") from None
    if "\x00" in content:  # text has no NUL: binary that happens to decode
        raise NOT_A_REGISTER(columns=EXPECTED, field="file")
    records = csv.reader(io.StringIO(content, newline=""))
    sheet, firsts = Sheet(), {}
    try:
        columns = _columns(next(records, []))
        for row, cells in enumerate(records, start=2):
            if any(cell.strip() for cell in cells):
                _read_row(sheet, row, columns, cells, firsts, today)
    except csv.Error:  # e.g. a cell longer than the csv module takes (128 KiB)
        raise CSV_UNREADABLE(line=records.line_num, field="file") from None
    return sheet


def _columns(header: list[str]) -> list[str | None]:
    """The field of each column (None: a column without a name, whose cells must be empty)."""
    names = [cell.strip() for cell in header]
    columns = [COLUMNS.get(name.lower()) for name in names]
    if not any(columns):
        raise NOT_A_REGISTER(columns=EXPECTED, field="file")
    for name, column in zip(names, columns):
        if name and column is None:
            raise UNKNOWN_COLUMN(column=CONTROL_CHARACTERS.sub("", name)[:40], columns=EXPECTED, field="file")
    for key, chinese in HEADERS:
        if columns.count(key) > 1:
            raise COLUMN_TWICE(column=f"{chinese}/{key}", field="file")
    if any(key not in columns for key in NEEDED):
        raise NOT_A_REGISTER(columns=EXPECTED, field="file")
    return columns


def _read_row(sheet: Sheet, row: int, columns: list, cells: list[str], firsts: dict, today: dt.date) -> None:
    if any(cell.strip() for index, cell in enumerate(cells) if index >= len(columns) or columns[index] is None):
        sheet.errors.append(_error(row, None, CELL_WITHOUT_COLUMN()))
        return
    values, problems = {}, {}
    for column, cell in zip(columns, cells + [""] * (len(columns) - len(cells))):
        if column is not None:
            try:
                values[column] = _cell(column, cell.strip(), today)
            except DomainError as e:
                problems[column] = e
    if "name" not in problems and not values.get("name"):
        problems["name"] = residents.NAME_REQUIRED()
    for key, twice in (("phone", PHONE_TWICE), ("email", EMAIL_TWICE)):
        value = values.get(key)
        first = firsts.setdefault((key, value), row) if value else row
        if first != row and key not in problems:
            problems[key] = twice(first=first, **{key: value})
    if problems:
        sheet.errors += [_error(row, key, problems[key]) for key, _ in HEADERS if key in problems]
    else:
        sheet.entries.append(Entry(row, residents.Particulars(**values)))


def _cell(column: str, value: str, today: dt.date):
    """A cell's value by the register's rules (None for an empty cell); raises the problem with it."""
    if CONTROL_CHARACTERS.search(value):
        raise INVISIBLE_CHARACTERS()
    if column == "phone":
        return _phone(value)
    if value.startswith(FORMULA_STARTS):
        raise FORMULA_CELL()
    if not value:
        return None
    if column == "date_of_birth":
        return residents.check_birth(_date(value), today)
    if column == "email":
        return well_formed_email(value)
    if len(value) > LENGTHS[column]:
        raise TOO_LONG(most=LENGTHS[column])
    return value


def _phone(value: str) -> str:
    """Only the digits of a phone are kept, so +86 138… is a phone; =HYPERLINK(…) is a formula."""
    try:
        return normalize_phone(value)
    except DomainError:
        if value.startswith(FORMULA_STARTS):
            raise FORMULA_CELL() from None
        raise


def _date(value: str) -> dt.date:
    for form in DATES:
        match = form.fullmatch(value)
        if match:
            try:
                return dt.date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:  # 1950-02-30
                break
    raise DATE_UNREADABLE()


def _error(row: int, key: str | None, error: DomainError) -> RowError:
    return RowError(row, key, error.code, error.detail)


def import_sheet(session: Session, actor: User | None, community: Community, sheet: Sheet, dry_run: bool = False,
                 progress: Callable[[int], None] | None = None) -> Report:
    """Write the sheet's good rows to the community's register, a batch at a time (``progress`` hears how many
    rows each batch held); a dry run asks the register the same questions and writes nothing.

    The caller checks the role and commits. ``actor`` None is the system (the command line).
    """
    report = Report(errors=list(sheet.errors))
    batches = [sheet.entries[start:start + BATCH] for start in range(0, len(sheet.entries), BATCH)]
    # Every question before the first write: the planner's statistics then still describe the table the lookups
    # read. Asked between writes, a first import of 100,000 rows made PostgreSQL scan its own new rows per batch.
    plans = [_sort_out(session, community.id, batch, report) for batch in batches]
    for batch, (new, corrections) in zip(batches, plans):
        if not dry_run:
            try:
                residents.enter(session, actor, community.id, new, corrections)
            except IntegrityError:  # a phone or an email taken since it was looked up
                raise REGISTER_CHANGED() from None
        if progress is not None:
            progress(len(batch))
    report.errors.sort(key=lambda error: error.row)
    if not dry_run:
        audit.record(session, actor, "residents_imported", "community", community.id, community.id,
                     created=report.created, updated=report.updated, unchanged=report.unchanged,
                     refused=report.refused)
    return report


def _sort_out(session: Session, community_id: int, batch: list[Entry], report: Report):
    """The batch's new residents and corrections, counted; the rows the register refuses, reported."""
    known = _known(session, community_id, [entry.particulars.phone for entry in batch])
    holders = dict(session.execute(select(User.email, User.id).where(User.email.in_(
        {entry.particulars.email for entry in batch if entry.particulars.email}))).all())
    new, corrections = [], []
    for entry in batch:
        particulars = entry.particulars
        resident = known.get(particulars.phone)
        holder = holders.get(particulars.email)
        if resident is not None and resident.status != "active":
            report.errors.append(_error(entry.row, "phone", MOVED_AWAY() if resident.status == "inactive"
                                        else PENDING()))
        elif holder is not None and (resident is None or holder != resident.user_id):
            report.errors.append(_error(entry.row, "email", EMAIL_TAKEN(email=particulars.email)))
        elif resident is None:
            new.append(particulars)
            report.created += 1
        else:
            changes = _changes(resident, particulars)
            if changes is None:
                report.unchanged += 1
            else:
                corrections.append((resident.user_id, changes))
                report.updated += 1
    return new, corrections


def _known(session: Session, community_id: int, phones: list[str]) -> dict:
    """The community's residents with these phones: what a row may change, by phone."""
    return {row.phone: row for row in session.execute(
        select(ResidentProfile.user_id, ResidentProfile.phone, ResidentProfile.status, User.name, User.email,
               ResidentProfile.date_of_birth, ResidentProfile.born_verified_at, ResidentProfile.address,
               ResidentProfile.building)
        .join(User, User.id == ResidentProfile.user_id)
        .where(ResidentProfile.community_id == community_id, ResidentProfile.phone.in_(phones)))}


def _changes(resident, particulars: residents.Particulars) -> residents.Particulars | None:
    """What the row says differently from the register (an empty cell says nothing); None if nothing."""
    changed = {key: getattr(particulars, key) for key in ("name", "email", "address", "building")
               if getattr(particulars, key) is not None and getattr(particulars, key) != getattr(resident, key)}
    born = particulars.date_of_birth
    if born is not None and (born != resident.date_of_birth or resident.born_verified_at is None):
        changed["date_of_birth"] = born  # the office's list vouches for it: verified now, by the importer
    return residents.Particulars(**changed) if changed else None
