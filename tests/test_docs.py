"""Fails when a command, setting or error code is not documented in the README."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import typer.main

import vitalstat.errors as errors_module
from vitalstat.cli import app
from vitalstat.config import SETTINGS

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def _commands(group: Any, prefix: str) -> list[tuple[str, Any]]:
    """Every command and sub-command (``vitalstat release build``) with its object."""
    found = []
    for name, command in group.commands.items():
        full = f"{prefix} {name}"
        found.append((full, command))
        if hasattr(command, "commands"):
            found.extend(_commands(command, full))
    return found


def test_every_command_and_option_is_documented() -> None:
    group = typer.main.get_command(app)
    commands = _commands(group, "vitalstat")
    assert any(name == "vitalstat release build" for name, _ in commands)
    for name, command in commands:
        assert name in README, name
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("--") and opt not in ("--help", "--db", "--as"):
                    assert opt in README, f"{name} {opt}"


def test_every_setting_is_documented() -> None:
    for name in SETTINGS:
        assert f"`{name}`" in README, name


def test_every_error_code_is_documented() -> None:
    for _, cls in inspect.getmembers(errors_module, inspect.isclass):
        base = errors_module.VitalstatError
        if issubclass(cls, base) and cls is not base:
            assert f"| `{cls.code}` |" in README, cls.__name__


def test_public_api_lists_exist() -> None:
    for name in errors_module.__all__:
        assert hasattr(errors_module, name), name
