"""The market_fair operator type."""

KEY = "market_fair"
