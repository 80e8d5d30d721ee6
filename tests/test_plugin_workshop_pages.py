"""The workshop's pages: jobs taken on, pieces recorded per worker and shift, the wage sheet and its CSV."""
import csv
import io

from sqlalchemy import func, select

from plugins.workshop.models import WorkshopJob, WorkshopPieces
from tests.factories import make_community, make_user
from tests.pages import text
from tests.test_plugin_workshop import started_shift, user_id, workshop_id

JOB = {"merchant": "Yiwu Toys Ltd.", "product": "Knitted dolls", "unit_rate_amount": "3.50",
       "merchant_price_amount": "9", "quantity": "50", "due_on": "2030-01-31"}


def jobs_path(demo):
    return f"/workshop/operators/{workshop_id(demo)}/jobs"


def take_on(demo, staff, **overrides):
    response = staff.submit(jobs_path(demo), {**JOB, **overrides})
    assert response.status_code == 303, text(response)
    return response.headers["Location"]


def test_the_workshops_staff_take_on_a_job_from_the_desk(demo, browser, db):
    staff = browser("workshop")
    assert jobs_path(demo) in text(staff.get(f"/operators/{workshop_id(demo)}/today"))
    job_page = take_on(demo, staff)
    db.commit()
    job = db.scalar(select(WorkshopJob).where(WorkshopJob.product == "Knitted dolls"))
    assert (job.unit_rate_amount, job.merchant_price_amount, job.quantity, job.due_on.isoformat()) == (
        350, 900, 50, "2030-01-31")
    assert job_page.endswith(f"/workshop/jobs/{job.id}")
    page = text(staff.get(job_page))
    assert "0 / 50" in page and "CN¥3.50" in page and "CN¥9.00" in page
    assert "Knitted dolls" in text(staff.get(jobs_path(demo)))


def test_a_bad_job_is_a_form_error_and_changes_nothing(demo, browser, db):
    staff = browser("workshop")
    for bad, message in (({"merchant": ""}, "Please fill this in."),
                         ({"unit_rate_amount": "3.555"}, "Write at most two decimals"),
                         ({"unit_rate_amount": "0"}, "Write an amount above zero"),
                         ({"merchant_price_amount": "Infinity"}, "Write a number"),
                         ({"quantity": "0"}, "Between 1 and 1,000,000."),
                         ({"due_on": "2030-02-30"}, "Not a valid date value"),
                         ({"quantity": "1000000", "merchant_price_amount": "9999"}, "Pieces × price may come to at most")):
        response = staff.submit(jobs_path(demo), {**JOB, **bad})
        assert response.status_code == 422 and message in text(response), bad
    db.commit()
    assert db.scalar(select(func.count()).select_from(WorkshopJob)) == 1  # the demo's own job


def test_pieces_are_recorded_per_worker_and_shift_and_never_beyond_the_order(demo, browser, db):
    staff = browser("workshop")
    job_page = take_on(demo, staff, quantity="50")
    assert "Nobody has worked a shift in the last two weeks" in text(staff.get(job_page))
    shift, _ = started_shift(demo, db, 0, "adult", "lowincome")
    page = text(staff.get(job_page))
    assert "· 陈杰" in page and "· 赵阿姨" in page
    adult = user_id(db, "adult")
    recorded = staff.submit(job_page, {"shift_worker": f"{shift['id']}-{adult}", "pieces": "40"})
    assert recorded.status_code == 303
    assert "Recorded: 40 pieces by 陈杰." in text(staff.get(job_page))
    too_many = staff.submit(job_page, {"shift_worker": f"{shift['id']}-{adult}", "pieces": "11"})
    assert too_many.status_code == 409 and "at most 10" in text(too_many)
    for bad, message in (({"shift_worker": f"{shift['id']}-{user_id(db, 'student')}", "pieces": "1"},
                          "Not a valid choice"),
                         ({"shift_worker": f"{shift['id']}-{adult}", "pieces": "0"}, "Between 1 and 1,000,000."),
                         ({"shift_worker": f"{shift['id']}-{adult}", "pieces": "many"}, "Not a valid integer value")):
        response = staff.submit(job_page, bad)
        assert response.status_code == 422 and message in text(response), bad
    db.commit()
    assert db.scalar(select(func.sum(WorkshopPieces.pieces)).where(WorkshopPieces.worker_id == adult)) == 40
    delivered = staff.submit(job_page + "/deliver", form_at=job_page)
    assert delivered.status_code == 303
    assert "Delivered: 40 pieces to Yiwu Toys Ltd." in text(staff.get(job_page))
    assert "Record pieces" not in text(staff.get(job_page))


def test_only_the_workshops_staff_record_and_its_community_reads(demo, browser, db):
    staff = browser("workshop")
    job_page = take_on(demo, staff)
    shift, _ = started_shift(demo, db, 0, "adult")
    choice = {"shift_worker": f"{shift['id']}-{user_id(db, 'adult')}", "pieces": "5"}
    community_staff = browser("staff")
    office = text(community_staff.get("/communities/heping/staff"))
    assert jobs_path(demo) in office and f"/workshop/operators/{workshop_id(demo)}/wages" in office
    page = text(community_staff.get(job_page))
    assert "Knitted dolls" in page and "Record pieces" not in page
    assert community_staff.submit(job_page, choice).status_code == 403
    assert community_staff.submit(job_page + "/deliver", form_at=job_page).status_code == 303  # told, not done
    for who in ("adult", "canteen", "committee1"):
        visitor = browser(who)
        assert visitor.get(job_page).status_code == 403, who
        assert visitor.get(jobs_path(demo)).status_code == 403, who
    db.commit()  # end the read begun above: logging in writes a login record since
    other = make_user(db, "community_staff", make_community(db))
    db.commit()
    assert browser(email=other.email, password="test-password").get(jobs_path(demo)).status_code == 403
    assert browser().get(jobs_path(demo)).status_code == 302
    assert community_staff.submit(jobs_path(demo), JOB, form_at=f"/workshop/operators/{workshop_id(demo)}/wages") \
        .status_code == 403
    assert staff.get("/workshop/jobs/999999").status_code == 404
    assert staff.get(f"/workshop/operators/{demo.listing('Community lunch')['operator_id']}/jobs").status_code == 404
    db.commit()
    assert db.scalar(select(func.count()).select_from(WorkshopPieces)) == 0
    assert db.scalar(select(WorkshopJob.status).where(WorkshopJob.product == "Knitted dolls")) == "open"


def test_the_wage_sheet_pays_pieces_times_rate_and_downloads_as_csv(demo, browser, db):
    staff = browser("workshop")
    job_page = take_on(demo, staff, quantity="500")
    shift, period = started_shift(demo, db, 0, "adult", "lowincome")
    for worker, pieces in (("adult", "40"), ("adult", "2"), ("lowincome", "30")):
        assert staff.submit(job_page, {"shift_worker": f"{shift['id']}-{user_id(db, worker)}",
                                       "pieces": pieces}).status_code == 303
    wages = f"/workshop/operators/{workshop_id(demo)}/wages?period={period}"
    for who in ("workshop", "staff"):
        page = text(browser(who).get(wages))
        assert "陈杰 · CN¥147.00" in page and "赵阿姨 · CN¥105.00" in page, who
        assert "Total: 72 pieces, CN¥252.00" in page, who
    own = text(browser("adult").get(wages))
    assert "陈杰 · CN¥147.00" in own and "赵阿姨" not in own
    assert "No pieces recorded in this month." in text(browser("student").get(wages))
    for who in ("canteen", "committee1"):
        assert browser(who).get(wages).status_code == 403, who
    assert browser("workshop").get(wages.replace(period, "2026-13")).status_code == 422
    download = browser("workshop").get(f"/workshop/operators/{workshop_id(demo)}/wages.csv?period={period}")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(download.data.decode("utf-8-sig"))))
    assert rows[0][9] == "Pay" and rows[-1][1] == "Total" and rows[-1][9] == "252.00"  # for people, in yuan
    own_csv = browser("adult").get(f"/workshop/operators/{workshop_id(demo)}/wages.csv?period={period}")
    assert [row[1] for row in csv.reader(io.StringIO(own_csv.data.decode("utf-8-sig")))][1:-1] == ["陈杰"]


def test_a_shift_booking_leads_its_worker_to_their_pay(demo, browser):
    shift = demo.slots("Hand-sewing piece-work")[0]
    worker = browser("adult")
    booked = worker.submit(f"/book/{shift['id']}", {"quantity": "1"})
    assert booked.status_code == 303
    page = text(worker.get(booked.headers["Location"]))
    assert "You are paid for each piece you make." in page
    assert f"/workshop/operators/{workshop_id(demo)}/wages?period={shift['starts_at'][:7]}" in page
