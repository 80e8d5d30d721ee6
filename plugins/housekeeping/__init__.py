"""The housekeeping operator type."""
