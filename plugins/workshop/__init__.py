"""The workshop operator type."""

KEY = "workshop"
