"""The demo data of SPEC §9.3, loaded once however often it is seeded."""
from sqlalchemy import func, select

from core import demo
from core.models import Agreement, Listing, Operator, Slot, User

ACCOUNTS = ["admin", "staff", "committee1", "committee2", "committee3", "charity", "canteen", "housekeeping",
            "fair", "workshop", "elder92", "senior68", "student", "adult", "lowincome"]


def counts(db):
    return {model.__name__: db.scalar(select(func.count()).select_from(model))
            for model in (User, Operator, Agreement, Listing, Slot)}


def test_seeding_twice_creates_nothing_new(app, db, runner):
    assert runner.invoke(args=["seed-demo"]).output.strip() == "demo data loaded"
    first = counts(db)
    assert runner.invoke(args=["seed-demo"]).output.strip() == "demo data already present"
    assert counts(db) == first == {"User": 15, "Operator": 4, "Agreement": 4, "Listing": 5, "Slot": 7 + 14 + 1 + 1 + 7}


def test_every_demo_account_logs_in_with_the_demo_password(app, client):
    demo.seed(app)
    for name in ACCOUNTS:
        response = client.post("/api/v1/auth/token", json={"email": f"{name}@example.org",
                                                           "password": "demo-password"})
        assert response.status_code == 200, name


def test_demo_operators_have_the_agreed_donation_rules(app, db):
    demo.seed(app)
    rules = {o.type: (a.donation_kind, a.donation_bps, a.donation_amount)
             for o, a in db.execute(select(Operator, Agreement).join(Agreement, Agreement.operator_id == Operator.id))}
    assert rules == {
        "canteen": ("percent_of_profit", 1000, None),
        "housekeeping": ("percent_of_revenue", 1000, None),
        "market_fair": ("percent_of_revenue", 500, None),
        "workshop": ("fixed_per_period", None, 5_000_000),
    }


def test_create_user_command_grants_scoped_roles(app, db, runner):
    demo.seed(app)
    result = runner.invoke(args=["create-user", "--email", "New@Example.org", "--password", "long-enough-1",
                                 "--role", "community_staff@heping"])
    assert result.exit_code == 0, result.output
    user = db.scalar(select(User).where(User.email == "new@example.org"))
    assert [(g.role, g.community_id) for g in user.grants] == [("community_staff", 1)]
    refused = runner.invoke(args=["create-user", "--email", "x@example.org", "--password", "long-enough-1",
                                  "--role", "operator_staff@heping"])
    assert refused.exit_code != 0
