"""Decimal form fields: "NaN", "sNaN" and "Infinity" parse as decimals; they must be a form error, never a 500."""
import pytest

from core.web.forms import ProposalForm, TransferForm


@pytest.mark.parametrize("typed", ["sNaN", "NaN", "Infinity", "-Infinity"])
def test_a_number_that_is_not_finite_is_a_form_error(app, typed):
    app.config["WTF_CSRF_ENABLED"] = False  # the form alone, outside any page
    with app.test_request_context(method="POST", data={"title": "Tea", "purpose": "Tea", "beneficiary": "Club",
                                                       "requested_amount": typed, "amount": typed,
                                                       "reference": "R1", "received_on": "2026-01-05"}):
        proposal = ProposalForm()
        assert not proposal.validate()
        assert proposal.requested_amount.errors == ["Write an amount above zero, e.g. 500 or 12.50."]
        transfer = TransferForm()
        transfer.operator_id.choices = [(1, "Canteen")]
        assert not transfer.validate() and transfer.amount.errors
