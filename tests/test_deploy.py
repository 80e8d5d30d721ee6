"""The deployment (deploy/, docs/operations.md) stays true to the code.

Every command the Dockerfile, the compose file and the systemd units run is parsed as the real ``linli`` or
gunicorn would parse it (gunicorn's own ``--check-config`` loads the config module and the app), and every
setting the code reads is in the operations guide's table, so a new command line or setting cannot ship
undocumented or misspelt. Docker itself is not needed: nothing here builds an image or pulls one.
"""
import configparser
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import click
import pytest
import yaml

from core.config import DEFAULTS

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNITS = DEPLOY / "systemd"
SETTING = re.compile(r"\bLINLI_[A-Z][A-Z0-9_]*[A-Z0-9]\b")


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def dockerfile() -> dict[str, list[str]]:
    """Each instruction of deploy/Dockerfile (continued lines joined) → its arguments, in order."""
    text = re.sub(r"\\\n", " ", (DEPLOY / "Dockerfile").read_text(encoding="utf-8"))
    instructions: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            instruction, _, arguments = line.strip().partition(" ")
            instructions.setdefault(instruction.upper(), []).append(arguments.strip())
    return instructions


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser


def parse_linli(app, args: list[str]) -> click.Command:
    """The command ``linli ARGS`` names, its options parsed as click would (an unknown command or option fails)."""
    command, name, context = app.cli, "linli", None
    while isinstance(command, click.Group):
        context = click.Context(command, info_name=name, parent=context)
        if not args:
            raise click.UsageError(f"{name} is a group: it needs a command", context)
        name, command, args = command.resolve_command(context, args)
    command.make_context(name, list(args), parent=context)
    return command


def check_gunicorn(argv: list[str], database_url: str, tmp_path) -> None:
    """gunicorn's own --check-config on the deployed command line: its options, the config module, the app."""
    environment = {**os.environ, "LINLI_DATABASE_URL": database_url, "LINLI_INSTANCE_PATH": str(tmp_path)}
    program = Path(sys.executable).parent / "gunicorn"
    result = subprocess.run([str(program), *argv[1:], "--check-config"], env=environment, capture_output=True,
                            text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]


def check_runs(app, argv: list[str], database_url: str, tmp_path) -> None:
    """``argv`` starts a real program of this installation with arguments it accepts."""
    program = Path(argv[0]).name
    if program == "gunicorn":
        assert "-c" in argv and argv[argv.index("-c") + 1] == "python:core.gunicorn_conf", argv
        assert argv[-1] == "core:create_app()", argv
        check_gunicorn(argv, database_url, tmp_path)
    else:
        scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
        assert program == "linli" and scripts["linli"] == "core.cli:main", argv
        parse_linli(app, argv[1:])


def test_the_parser_of_command_lines_refuses_what_linli_would_refuse(app):
    """The checks below mean something only if a misspelt command or option fails here."""
    assert parse_linli(app, ["db", "upgrade"]).name == "upgrade"
    for wrong in (["wroker"], ["db", "upgrde"], ["verify-ledger", "--comunity", "x"], ["db"]):
        with pytest.raises(click.UsageError):
            parse_linli(app, wrong)


def test_the_dockerfile_builds_on_python_3_11_slim_and_serves_gunicorn_as_a_user(app, database_url, tmp_path):
    instructions = dockerfile()
    assert instructions["FROM"] == ["python:3.11-slim"]
    assert instructions["USER"] and instructions["USER"][-1] not in ("root", "0")
    sent = {line.rstrip("/") for line in (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()}
    for copy in instructions["COPY"]:
        *sources, _ = copy.split()
        for source in sources:  # there, and not left out of the build context
            assert (ROOT / source).exists() and f"!{source.rstrip('/')}" in sent, copy
    assert any("pip install" in run for run in instructions["RUN"])
    (healthcheck,) = instructions["HEALTHCHECK"]
    assert "http://127.0.0.1:8000/healthz" in healthcheck
    (cmd,) = instructions["CMD"]
    argv = json.loads(cmd)
    assert argv[argv.index("--bind") + 1] == "0.0.0.0:8000"
    check_runs(app, argv, database_url, tmp_path)


def test_the_dockerfile_health_check_asks_a_route_of_the_app(app):
    assert "/healthz" in {rule.rule for rule in app.url_map.iter_rules()}


def test_the_compose_file_runs_migrate_web_worker_scheduler_postgres_and_redis(app, database_url, tmp_path):
    services = compose()["services"]
    assert set(services) == {"migrate", "web", "worker", "scheduler", "postgres", "redis"}
    cmd = json.loads(dockerfile()["CMD"][0])
    commands = {name: services[name].get("command", cmd) for name in ("migrate", "web", "worker", "scheduler")}
    assert commands == {"migrate": ["linli", "db", "upgrade"], "web": cmd, "worker": ["linli", "worker"],
                        "scheduler": ["linli", "scheduler"]}
    for name in ("migrate", "worker", "scheduler"):
        check_runs(app, commands[name], database_url, tmp_path)
    for name in commands:
        build = services[name]["build"]
        assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
        assert services[name]["env_file"] == ".env"


def test_the_processes_start_after_the_migration_which_starts_after_postgres_is_healthy():
    services = compose()["services"]
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker", "scheduler"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert services[name]["depends_on"]["postgres"] == {"condition": "service_healthy"}
        assert services[name]["restart"] == "unless-stopped"
    assert services["worker"]["depends_on"]["web"] == {"condition": "service_started"}
    assert services["scheduler"]["depends_on"]["worker"] == {"condition": "service_started"}
    for name in ("postgres", "redis"):
        assert services[name]["healthcheck"]["test"]
    (volume,) = services["postgres"]["volumes"]
    name, _, path = volume.partition(":")
    assert path == "/var/lib/postgresql/data" and name in compose()["volumes"]
    for name in ("worker", "scheduler"):  # the image's check asks for /healthz, which only the web serves
        assert services[name]["healthcheck"] == {"disable": True}


def test_the_settings_compose_sets_and_the_example_names_are_documented():
    documented = documented_settings()
    environment = compose()["services"]["web"]["environment"]
    assert set(environment) <= documented and environment["LINLI_ENV"] == "production"
    example = (DEPLOY / "env.example").read_text(encoding="utf-8")
    assert set(SETTING.findall(example)) <= documented
    assert re.search(r"^LINLI_SECRET_KEY=CHANGE-ME$", example, re.MULTILINE)
    assert re.search(r"^POSTGRES_PASSWORD=CHANGE-ME$", example, re.MULTILINE)


def test_every_systemd_service_runs_a_real_command_as_the_linli_user(app, database_url, tmp_path):
    services = sorted(UNITS.glob("*.service"))
    assert {p.stem for p in services} == {"linli-web", "linli-worker", "linli-scheduler", "linli-migrate",
                                          "linli-backup"}
    for path in services:
        exec_start = unit(path)["Service"]["ExecStart"]
        argv = shlex.split(exec_start)
        if path.stem == "linli-backup":
            assert argv == ["/usr/local/bin/linli-backup"] and os.access(DEPLOY / "linli-backup", os.X_OK)
            continue
        assert Path(argv[0]).parent == Path("/opt/linli/venv/bin"), exec_start
        check_runs(app, argv, database_url, tmp_path)
    commands = {p.stem: unit(p)["Service"]["ExecStart"].split()[1:] for p in services}
    assert commands["linli-worker"] == ["worker"] and commands["linli-scheduler"] == ["scheduler"]
    assert commands["linli-migrate"] == ["db", "upgrade"]


def test_the_long_running_units_restart_on_failure_after_the_migration_within_linli_target():
    target = unit(UNITS / "linli.target")
    assert set(target["Unit"]["Wants"].split()) == {"linli-web.service", "linli-worker.service",
                                                   "linli-scheduler.service"}
    for name in ("linli-web", "linli-worker", "linli-scheduler"):
        service = unit(UNITS / f"{name}.service")
        assert service["Service"]["Restart"] == "on-failure"
        assert "linli-migrate.service" in service["Unit"]["Requires"].split()
        assert "linli-migrate.service" in service["Unit"]["After"].split()
        assert service["Unit"]["PartOf"] == "linli.target"
    assert unit(UNITS / "linli-migrate.service")["Service"]["Type"] == "oneshot"
    # started web, worker, scheduler; stopped the other way round (docs/operations.md, "Upgrades")
    assert "linli-web.service" in unit(UNITS / "linli-worker.service")["Unit"]["After"].split()
    assert "linli-worker.service" in unit(UNITS / "linli-scheduler.service")["Unit"]["After"].split()


def test_every_linli_unit_gets_the_user_the_settings_file_and_the_sandbox_from_one_drop_in():
    shared = unit(UNITS / "linli-.service.d" / "linli.conf")["Service"]
    assert shared["User"] == "linli" and shared["EnvironmentFile"] == "/etc/linli/linli.env"
    assert shared["StateDirectory"].split() == ["linli", "linli/instance"]
    assert shared["WorkingDirectory"] == "/var/lib/linli"
    assert shared["ProtectSystem"] == "strict" and shared["NoNewPrivileges"] == "yes"
    assert "MemoryDenyWriteExecute" not in shared  # cffi (argon2) and psycopg's binary need writable code pages
    for path in UNITS.glob("*.service"):
        assert path.stem.startswith("linli-")  # what the drop-in's prefix applies to
        assert "User" not in unit(path)["Service"], f"{path.name} overrides the shared user"


def documented_settings() -> set[str]:
    """The settings named in the first column of docs/operations.md's "Configuration" table."""
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    return {name for line in section.splitlines() if line.startswith("| `")
            for name in SETTING.findall(line.split("|")[1])}


def settings_in_code() -> set[str]:
    """Every ``LINLI_*`` setting the code reads: DEFAULTS, the names written out in core and plugins, and the
    backup script's."""
    names = {f"LINLI_{key}" for key in DEFAULTS}
    for path in [*(ROOT / "core").rglob("*.py"), *(ROOT / "plugins").rglob("*.py"), DEPLOY / "linli-backup"]:
        names |= set(SETTING.findall(path.read_text(encoding="utf-8")))
    return names


def test_every_setting_the_code_reads_is_in_the_operations_guide():
    missing = sorted(settings_in_code() - documented_settings())
    assert not missing, f"add a row to docs/operations.md's Configuration table for each of {missing}"


def test_every_setting_in_the_operations_guide_is_read_by_the_code():
    stale = sorted(documented_settings() - settings_in_code())
    assert not stale, f"docs/operations.md documents settings nothing reads: {stale}"


def test_the_readme_links_the_operations_guide():
    assert "(docs/operations.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
