"""The layers of the house: a domain that runs without Flask, under an API and pages that bring it."""
import subprocess
import sys

DOMAIN = ("accounts", "audit", "auth", "booking", "catalog", "catalogues", "checks", "donations", "eligibility",
          "exports", "fund", "input_text", "jobs", "ledger", "ledger_heads", "listings", "mail", "money", "notices",
          "notifications", "operator_types", "outbox", "outgoing", "personal_data", "phones", "plugins", "policy",
          "pricing", "proposals", "ratings", "resident_import", "residents", "settlement", "tasks", "transparency",
          "models", "payments.service", "payments.notifications", "payments.statements", "payments.shares",
          "stripe_accounts")
WEB = ("flask", "werkzeug", "flask_babel", "flask_smorest", "flask_wtf")


def modules_loaded_by(statement: str) -> set[str]:
    """The top-level packages a fresh interpreter holds after running ``statement``."""
    shown = subprocess.run([sys.executable, "-c", f"{statement}\nimport sys; print(' '.join(sys.modules))"],
                           capture_output=True, text=True, check=True).stdout.split()
    return {name.split(".")[0] for name in shown}


def test_the_domain_modules_import_no_flask():
    loaded = modules_loaded_by("\n".join(f"import core.{name}" for name in DOMAIN))
    assert "core" in loaded and "sqlalchemy" in loaded  # the imports ran
    assert loaded.isdisjoint(WEB), sorted(loaded & set(WEB))


def test_the_request_session_is_where_flask_meets_the_database():
    assert "flask" in modules_loaded_by("import core.request_session")
