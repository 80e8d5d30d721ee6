"""Alembic environment: the app's engine and the core's metadata (plus any plugin tables)."""
from alembic import context

from core.db import Base
import core.models  # noqa: F401 - registers the core tables

config = context.config
connectable = config.attributes["engine"]
target_metadata = Base.metadata

with connectable.connect() as connection:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
