"""The canteen operator type."""

KEY = "canteen"
