"""Payment providers behind one small interface: cash in the core, Stripe, and any a plugin registers."""
from __future__ import annotations

from core.payments.base import PaymentProvider, PaymentStart
from core.payments.cash import CashProvider

__all__ = ["CashProvider", "PaymentProvider", "PaymentStart"]
