"""The workshop operator type."""
