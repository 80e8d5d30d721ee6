"""The housekeeping operator type."""

KEY = "housekeeping"
