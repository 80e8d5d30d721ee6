"""The canteen operator type."""
