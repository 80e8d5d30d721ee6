"""The resident register imported from a spreadsheet saved as CSV (SPEC §11.2): through the API and `linli
import-residents`, as a community office does it — a dry run first, then for real, then again next year."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from core import resident_import
from core.models import AuditEvent, ResidentProfile, User
from tests.factories import Api, logged_in, make_community, make_user
from tests.races import race
from tests.snapshots import snapshot

IMPORT = "/communities/heping/residents/import"
HEADER = "姓名,手机,出生日期,住址,楼栋"
WANG = "王秀英,+86 138-0013-8000,1933-05-01,和平路 12 号 3 单元 101,3"
LI = "李建国,139 0000 1111,1950/3/21,和平路 14 号,5"
ZHANG = "张桂兰,13700002222,1941年10月1日,,"


def sheet(*rows: str, header: str = HEADER, bom: bool = True) -> bytes:
    """A register as a spreadsheet saves it: CRLF line ends, and the BOM Excel writes before "CSV UTF-8"."""
    return ("\ufeff" if bom else "").encode() + "\r\n".join((header, *rows, "")).encode()


def upload(who, content: bytes, dry_run: bool = False, path: str = IMPORT, **headers):
    return who.call("POST", path + ("?dry_run=1" if dry_run else ""), headers=headers,
                    data={"file": (io.BytesIO(content), "register.csv")}, content_type="multipart/form-data")


def engine_of(demo):
    return demo.client.application.extensions["linli"].db.engine


def resident(db, phone: str) -> ResidentProfile | None:
    db.rollback()  # a new transaction: what the app has committed since
    return db.scalar(select(ResidentProfile).where(ResidentProfile.phone == phone))


def problems(response) -> list[tuple[int, str | None, str]]:
    assert response.status_code == 200, response.get_json()
    return [(e["row"], e["field"], e["code"]) for e in response.get_json()["errors"]]


def counts(response) -> tuple[int, int, int]:
    body = response.get_json()
    return body["created"], body["updated"], body["unchanged"]


BAD = ("王五,12345,1950-01-01,,", "赵六,13600003333,1950.01.01,,", ",13600004444,,,", "=HYPERLINK(\"x\"),13600005555,,,")


def test_a_dry_run_reports_every_bad_row_and_writes_nothing(demo):
    staff = demo.api("staff")
    before = snapshot(engine_of(demo))
    response = upload(staff, sheet(WANG, *BAD, LI), dry_run=True)
    assert counts(response) == (2, 0, 0)
    assert problems(response) == [(3, "phone", "invalid_phone"), (4, "date_of_birth", "date_unreadable"),
                                  (5, "name", "name_required"), (6, "name", "formula_cell")]
    assert snapshot(engine_of(demo)) == before


def test_the_good_rows_are_written_verified_by_the_importer_and_the_bad_reported(demo, db):
    staff = demo.api("staff")
    staff_id = staff.get("/me").get_json()["id"]
    response = upload(staff, sheet(WANG, *BAD, LI, ZHANG))
    assert counts(response) == (3, 0, 0) and len(problems(response)) == 4
    wang = resident(db, "13800138000")
    assert (wang.user.name, str(wang.date_of_birth), wang.address, wang.building, wang.status) == (
        "王秀英", "1933-05-01", "和平路 12 号 3 单元 101", "3", "active")
    assert wang.born_verified and wang.born_verified_by_id == staff_id
    assert wang.user.password_hash == "!" and [g.role for g in wang.user.grants] == ["resident"]
    zhang = resident(db, "13700002222")
    assert (str(zhang.date_of_birth), zhang.address, zhang.building) == ("1941-10-01", None, None)
    assert resident(db, "13600003333") is None and resident(db, "13600005555") is None
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "residents_imported"))
    assert event.actor_id == staff_id and event.data == {"created": 3, "updated": 0, "unchanged": 0, "refused": 4}
    found = staff.get("/communities/heping/residents?q=王秀").get_json()["items"]
    assert [r["phone"] for r in found] == ["13800138000"]


def test_importing_again_updates_by_phone_and_duplicates_nobody(demo, db):
    staff = demo.api("staff")
    assert counts(upload(staff, sheet(WANG, LI))) == (2, 0, 0)
    assert counts(upload(staff, sheet(WANG, LI))) == (0, 0, 2)
    moved = "李建国,13900001111,1950-03-21,幸福路 8 号,"  # a new address; the building's cell left empty
    again = upload(staff, sheet(WANG, moved, header=HEADER))
    assert counts(again) == (0, 1, 1) and problems(again) == []
    li = resident(db, "13900001111")
    assert (li.address, li.building) == ("幸福路 8 号", "5")  # an empty cell leaves the register as it was
    assert db.query(ResidentProfile).filter(ResidentProfile.phone.in_(["13800138000", "13900001111"])).count() == 2
    assert db.query(User).filter(User.name == "王秀英").count() == 1


def test_a_corrected_date_of_birth_counts_as_verified_by_the_importer(demo, db):
    staff = demo.api("staff")
    upload(staff, sheet(WANG))
    assert counts(upload(staff, sheet(WANG.replace("1933-05-01", "1933-06-01")))) == (0, 1, 0)
    assert str(resident(db, "13800138000").date_of_birth) == "1933-06-01"


@pytest.mark.parametrize("header", [
    "姓名,手机,出生日期,住址,楼栋", "name,phone,date_of_birth,address,building", "Name, Phone ,Date_of_Birth,Address,Building",
    "楼栋,住址,出生日期,手机,姓名", "phone,姓名,building,出生日期,address", "姓名,手机",
])
@pytest.mark.parametrize("bom", [True, False])
def test_chinese_or_english_headers_in_any_order_with_or_without_a_bom(demo, db, header, bom):
    values = {"姓名": "王秀英", "name": "王秀英", "手机": "13800138000", "phone": "13800138000", "出生日期": "1933-05-01",
              "date_of_birth": "1933-05-01", "住址": "和平路 12 号", "address": "和平路 12 号", "楼栋": "3", "building": "3"}
    row = ",".join(values[name.strip().lower()] for name in header.split(","))
    response = upload(demo.api("staff"), sheet(row, header=header, bom=bom))
    assert counts(response) == (1, 0, 0) and problems(response) == []
    assert resident(db, "13800138000").user.name == "王秀英"


def test_an_email_column_is_taken_too_once_per_person(demo, db):
    staff = demo.api("staff")
    header = HEADER + ",邮箱"
    response = upload(staff, sheet(WANG + ",Wang@Example.org", LI + ",wang@example.org", ZHANG + ",adult@example.org",
                                   header=header))
    assert counts(response) == (1, 0, 0)
    assert problems(response) == [(3, "email", "email_twice_in_file"), (4, "email", "email_taken")]
    assert resident(db, "13800138000").user.email == "wang@example.org"


@pytest.mark.parametrize("content, code", [
    ("姓名,手机\r\n王秀英,13800138000\r\n".encode("gbk"), "not_utf8"),  # Excel's plain "CSV" in a Chinese Windows
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01", "not_utf8"),
    (bytes(range(256)) * 40, "not_utf8"),
    (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "not_a_register"),
    ("王秀英,13800138000,1933-05-01\r\n".encode(), "not_a_register"),  # no header row
    ("姓名,出生日期\r\n王秀英,1933-05-01\r\n".encode(), "not_a_register"),  # no phone column
    (b"", "not_a_register"),
    ("姓名,手机,楼号\r\n王秀英,13800138000,3\r\n".encode(), "unknown_column"),
    ("姓名,手机,name\r\n王秀英,13800138000,王\r\n".encode(), "column_twice"),
    (("姓名,手机\r\n\"" + "x" * 200_000 + "\",13800138000\r\n").encode(), "csv_unreadable"),
])
def test_a_file_that_is_no_register_is_a_clear_422_and_writes_nothing(demo, content, code):
    staff = demo.api("staff")
    before = snapshot(engine_of(demo))
    response = upload(staff, content)
    assert response.status_code == 422 and response.get_json()["code"] == code, response.get_json()
    assert response.mimetype == "application/problem+json" and "file" in response.get_json()["errors"]
    assert snapshot(engine_of(demo)) == before


def test_a_file_of_50_mb_is_a_413_and_writes_nothing(demo):
    staff = demo.api("staff")
    before = snapshot(engine_of(demo))
    response = upload(staff, sheet(WANG) + b"x" * (50 * 1024 * 1024))
    assert response.status_code == 413 and response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "payload_too_large"
    assert snapshot(engine_of(demo)) == before


def test_a_register_larger_than_the_apis_1_mib_is_taken_in_batches(demo, db):
    rows = [f"居民{i},135{i:08d},1950-01-01,和平路 {i} 号 3 单元 101,{i % 9}" for i in range(25_000)]
    content = sheet(*rows)
    assert len(content) > 1024 * 1024 and len(rows) > 2 * resident_import.BATCH
    response = upload(demo.api("staff"), content)
    assert counts(response) == (25_000, 0, 0) and problems(response) == []
    assert db.query(ResidentProfile).filter(ResidentProfile.phone.like("135%")).count() == 25_000
    assert resident(db, "13500024999").user.name == "居民24999"


def test_json_or_no_file_is_a_422_past_authorization_and_json_keeps_its_1_mib(demo):
    staff = demo.api("staff")
    for response in (staff.post(IMPORT, {"file": "姓名,手机"}), staff.call("POST", IMPORT)):
        assert response.status_code == 422 and response.get_json()["code"] == "register_file_missing"
    assert staff.post(IMPORT, {"file": "x" * 2 * 1024 * 1024}).status_code == 413
    assert staff.call("POST", IMPORT, data="姓名,手机", content_type="text/csv").status_code == 415


@pytest.mark.parametrize("row, field", [
    ("=1+1,13800138000,,,", "name"), ("+王秀英,13800138000,,,", "name"), ("-王秀英,13800138000,,,", "name"),
    ("@SUM(A1),13800138000,,,", "name"), ("王秀英,13800138000,,\" =cmd|' /C calc'!A0\",", "address"),
    ("王秀英,13800138000,,,=A1", "building"), ("王秀英,=13800138000,,,", "phone"), ("王秀英,@13800138000,,,", "phone"),
    ("王秀英,13800138000,=TODAY(),,", "date_of_birth"),
])
def test_a_cell_that_looks_like_a_formula_is_refused(demo, db, row, field):
    response = upload(demo.api("staff"), sheet(row))
    assert problems(response) == [(2, field, "formula_cell")]
    assert "formula" in response.get_json()["errors"][0]["message"]
    assert resident(db, "13800138000") is None


@pytest.mark.parametrize("phone", ["+86 138 0013 8000", "+8613800138000", "-13800138000", "138-0013-8000"])
def test_a_phone_with_a_plus_or_a_dash_is_a_phone(demo, db, phone):
    assert counts(upload(demo.api("staff"), sheet(f"王秀英,{phone},,,"))) == (1, 0, 0)
    assert resident(db, "13800138000").user.name == "王秀英"


def test_a_phone_twice_in_the_file_is_imported_once_and_the_second_row_reported(demo, db):
    response = upload(demo.api("staff"), sheet(WANG, LI, "王秀兰,138 0013 8000,,,"))
    assert counts(response) == (2, 0, 0) and problems(response) == [(4, "phone", "phone_twice_in_file")]
    assert "row 2" in response.get_json()["errors"][0]["message"]
    assert resident(db, "13800138000").user.name == "王秀英"


@pytest.mark.parametrize("written, day", [("1933-05-01", "1933-05-01"), ("1933-5-1", "1933-05-01"),
                                          ("1933/05/01", "1933-05-01"), ("1933/5/1", "1933-05-01"),
                                          ("1933年5月1日", "1933-05-01"), (" 1933年05月01日 ", "1933-05-01")])
def test_the_dates_spreadsheets_write_are_read(demo, db, written, day):
    assert counts(upload(demo.api("staff"), sheet(f"王秀英,13800138000,{written},,"))) == (1, 0, 0)
    assert str(resident(db, "13800138000").date_of_birth) == day


@pytest.mark.parametrize("written, code", [
    ("01/05/1933", "date_unreadable"), ("1933.05.01", "date_unreadable"), ("1933-02-30", "date_unreadable"),
    ("1933/05-01", "date_unreadable"), ("33-5-1", "date_unreadable"), ("May 1, 1933", "date_unreadable"),
    ("1933-05-01 00:00", "date_unreadable"), ("2999-01-01", "birth_in_future"), ("1899-12-31", "birth_too_early"),
])
def test_other_dates_are_reported_on_their_row(demo, db, written, code):
    assert problems(upload(demo.api("staff"), sheet(f"王秀英,13800138000,{written},,"))) == [
        (2, "date_of_birth", code)]
    assert resident(db, "13800138000") is None


@pytest.mark.parametrize("row, field, code", [
    ("王\x07秀英,13800138000,,,", "name", "invisible_characters"),
    ("王秀英,13800138000,,和平路\u202e101,", "address", "invisible_characters"),
    ("王" * 201 + ",13800138000,,,", "name", "cell_too_long"),
    ("王秀英,13800138000,,,3" * 51, None, "cell_without_column"),
    ("王秀英,13800138000,,和平路,3,,多出来的一格", None, "cell_without_column"),
    ("王秀英,,,,", "phone", "invalid_phone"),
    ("王秀英", "phone", "invalid_phone"),
])
def test_cells_the_register_would_not_take_are_reported(demo, db, row, field, code):
    assert problems(upload(demo.api("staff"), sheet(row))) == [(2, field, code)]


def test_a_column_without_a_name_is_ignored_while_its_cells_are_empty(demo, db):
    response = upload(demo.api("staff"), sheet("王秀英,13800138000,,", "李建国,13900001111,,3 号楼", header="姓名,手机,,"))
    assert counts(response) == (1, 0, 0) and problems(response) == [(3, None, "cell_without_column")]


def test_a_resident_who_moved_away_or_waits_for_verification_is_not_touched(demo, db):
    staff = demo.api("staff")
    upload(staff, sheet(WANG, LI))
    deactivated = staff.post(f"/residents/{resident(db, '13800138000').user_id}/deactivate")
    assert deactivated.status_code == 200, deactivated.get_json()
    registered = demo.client.post("/api/v1/auth/register", json={
        "community": "heping", "name": "张桂兰", "phone": "13700002222", "password": "long-enough-1"})
    assert registered.status_code == 201, registered.get_json()
    response = upload(staff, sheet(WANG.replace("和平路", "幸福路"), LI, ZHANG))
    assert counts(response) == (0, 0, 1)
    assert problems(response) == [(2, "phone", "resident_moved_away"), (4, "phone", "resident_pending")]
    wang, zhang = resident(db, "13800138000"), resident(db, "13700002222")
    assert (wang.status, wang.address.startswith("和平路")) == ("inactive", True)
    assert (zhang.status, zhang.born_verified) == ("pending", False)


def test_the_register_changing_underneath_is_a_409_and_nothing_is_written(demo, monkeypatch):
    staff = demo.api("staff")
    upload(staff, sheet(WANG))
    before = snapshot(engine_of(demo))
    monkeypatch.setattr(resident_import, "_known", lambda *args: {})  # as if another office registered her since
    response = upload(staff, sheet(LI, WANG))
    assert response.status_code == 409 and response.get_json()["code"] == "register_changed"
    assert snapshot(engine_of(demo)) == before


def test_messages_speak_chinese_to_a_chinese_reader(demo):
    response = upload(demo.api("staff"), sheet("王秀英,13800138000,1933.05.01,,", LI), **{"Accept-Language": "zh"})
    assert response.get_json()["errors"][0]["message"].startswith("日期请写成")
    refused = upload(demo.api("staff"), "姓名,手机\r\n王,13800138000\r\n".encode("gbk"), **{"Accept-Language": "zh"})
    assert "UTF-8" in refused.get_json()["detail"] and "另存为" in refused.get_json()["detail"]


def test_only_the_communitys_own_staff_may_import(demo, db, client):
    other = make_community(db, slug="elsewhere")
    rival = make_user(db, "community_staff", community=other)
    db.commit()
    callers = ((demo.api("adult"), 403), (demo.api("canteen"), 403), (logged_in(client, rival), 403),
               (Api(demo.client), 401))
    before = snapshot(engine_of(demo))
    for who, status in callers:
        response = upload(who, sheet(WANG))
        assert response.status_code == status, response.get_json()
    assert snapshot(engine_of(demo)) == before
    assert upload(logged_in(client, rival), sheet(WANG), path="/communities/elsewhere/residents/import") \
        .status_code == 200


def test_the_command_line_imports_prints_every_bad_row_and_exits_1(demo, db, runner, tmp_path):
    path = tmp_path / "register.csv"
    path.write_bytes(sheet(WANG, *BAD, LI))
    before = snapshot(engine_of(demo))
    dry = runner.invoke(args=["import-residents", str(path), "--community", "heping", "--dry-run"])
    assert dry.exit_code == 1 and "dry run, nothing written: 2 created, 0 updated, 0 unchanged, 4 rows refused" \
        in dry.output
    assert "row 4 date_of_birth: Please write the date as YYYY-MM-DD" in dry.output
    assert snapshot(engine_of(demo)) == before
    real = runner.invoke(args=["import-residents", str(path), "--community", "heping"])
    assert real.exit_code == 1 and "2 created, 0 updated, 0 unchanged, 4 rows refused" in real.output
    assert resident(db, "13800138000").born_verified and resident(db, "13800138000").born_verified_by_id is None
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "residents_imported"))
    assert event.actor_id is None and event.data["created"] == 2
    path.write_bytes(sheet(WANG, LI))
    again = runner.invoke(args=["import-residents", str(path), "--community", "heping"])
    assert again.exit_code == 0 and "0 created, 0 updated, 2 unchanged, 0 rows refused" in again.output


def test_the_command_line_refuses_a_file_that_is_no_register(demo, runner, tmp_path):
    path = tmp_path / "register.csv"
    path.write_bytes("姓名,手机\r\n王,13800138000\r\n".encode("gbk"))
    result = runner.invoke(args=["import-residents", str(path), "--community", "heping"])
    assert result.exit_code == 1 and result.exception.code == "not_utf8"  # `linli` says it in a sentence


@pytest.mark.postgres
def test_two_offices_importing_the_same_file_at_once_register_everyone_once(demo, db):
    """Both look the phones up before either writes; the second to write meets the first's rows (the unique phone
    per community) and is a 409 that writes nothing, or comes after and finds them all unchanged."""
    content = sheet(*(f"居民{i},139{i:08d},1950-01-01,," for i in range(3000)))
    tokens = [demo.api("staff").token for _ in range(2)]

    def importing(token):
        def attempt():
            response = upload(Api(demo.client.application.test_client(), token), content)
            return response.status_code, response.get_json()
        return attempt

    results = race([importing(token) for token in tokens])
    assert sorted(status for status, _ in results) in ([200, 200], [200, 409]), results
    assert all(body["code"] == "register_changed" for status, body in results if status == 409)
    assert db.query(ResidentProfile).filter(ResidentProfile.phone.like("139%")).count() == 3000
