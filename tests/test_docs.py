"""Fails when a command, setting or error code is not documented in the README."""

from __future__ import annotations

import inspect
from pathlib import Path

import typer.main

import vitalstat.errors as errors_module
from vitalstat.cli import app
from vitalstat.config import SETTINGS

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_command_and_option_is_documented() -> None:
    group = typer.main.get_command(app)
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        assert f"vitalstat {name}" in README, name
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
