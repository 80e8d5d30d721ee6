"""Alembic environment: the app's engine and the models' metadata.

``linli db revision`` writes core migrations only, so it looks at the core's own
tables; each plugin keeps its tables in its own branch.
"""
from alembic import context

from core.db import Base, in_schema_of
import core.models  # noqa: F401 - registers the core tables

config = context.config
connectable = config.attributes["engine"]
core_only = config.attributes.get("core_only", False)
CORE_TABLES = {m.local_table.name for m in Base.registry.mappers if m.class_.__module__.startswith("core.")}


in_schema = in_schema_of(connectable.dialect.name)


def include_object(obj, name, type_, reflected, compare_to):
    table = obj if type_ == "table" else getattr(obj, "table", None)
    in_core = not core_only or table is None or table.name in CORE_TABLES
    return in_core and in_schema(obj, name, type_, reflected, compare_to)


with connectable.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                      compare_type=True, include_object=include_object)
    with context.begin_transaction():
        context.run_migrations()
