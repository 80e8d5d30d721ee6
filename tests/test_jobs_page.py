"""The administrators' jobs page: each periodic job with its schedule and last run, run one now, in Chinese too."""
from core.models import OutboxTask
from core.db import utcnow
from tests.pages import text


def test_an_admin_sees_each_job_runs_one_and_reads_it_in_chinese(demo, browser, db):
    db.add(OutboxTask(task="notifications.deliver", payload={}, status="failed", attempts=8, run_after=utcnow(),
                      created_at=utcnow(), last_error="SMTPServerDisconnected: Connection unexpectedly closed"))
    db.commit()
    admin = browser("admin")
    page = text(admin.get("/admin/jobs"))
    assert "Expire payment holds" in page and "every 60 seconds" in page and "never" in page
    assert "Check the books every night" in page and "every day at 19:00 UTC" in page
    assert "0 waiting, 0 running, 1 failed" in page and "SMTPServerDisconnected" in page
    ran = admin.submit("/admin/jobs/expire_holds/run", form_at="/admin/jobs")
    assert ran.status_code == 303
    page = text(admin.get("/admin/jobs"))
    assert "0 payment holds expired" in page and "Done" in page
    admin.get("/lang/zh_Hans")
    page = text(admin.get("/admin/jobs"))
    assert "释放超时未付的预留" in page and "每晚核对账目" in page
    assert "0 个付款保留已过期" in page and "完成" in page
    assert "每 60 秒" in page and "每天 19:00（协调世界时）" in page
    assert "Background jobs" not in page


def test_the_menu_shows_the_jobs_to_admins_only(demo, browser):
    assert "/admin/jobs" in text(browser("admin").get("/"))
    assert "/admin/jobs" not in text(browser("staff").get("/"))
