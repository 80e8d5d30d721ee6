"""Schema migrations with Alembic: the core's branch plus each plugin's own."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from flask import Flask

from core.plugins import collect

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(app: Flask) -> Config:
    linli = app.extensions["linli"]
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    plugged = collect(linli.plugins.hook.register_migration_paths())
    locations = [str(MIGRATIONS / "versions")] + [str(p) for p in plugged]
    config.set_main_option("version_locations", " ".join(locations))
    config.set_main_option("path_separator", "space")
    config.attributes["engine"] = linli.db.engine
    return config


def upgrade(app: Flask, revision: str = "heads") -> None:
    command.upgrade(alembic_config(app), revision)


def revision(app: Flask, message: str) -> None:
    """Write a new core migration from the difference between models and database."""
    config = alembic_config(app)
    config.attributes["core_only"] = True
    command.revision(config, message=message, autogenerate=True, head="core@head",
                     version_path=str(MIGRATIONS / "versions"))  # plugins' branches have heads of their own
