"""The market_fair operator type."""
