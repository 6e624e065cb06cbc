"""The ``vitalstat`` command line: parse arguments, call a service, print the outcome.

One module per area registers its commands on the shared :data:`app`
(``common.py`` holds what they share). Only this package imports Typer.
"""

from __future__ import annotations

import sys

from vitalstat.cli import audit as _audit  # noqa: F401  (registers commands)
from vitalstat.cli import cases as _cases  # noqa: F401  (registers commands)
from vitalstat.cli import disclosure as _disclosure  # noqa: F401  (registers commands)
from vitalstat.cli import holds as _holds  # noqa: F401  (registers commands)
from vitalstat.cli import matching as _matching  # noqa: F401  (registers commands)
from vitalstat.cli import registry as _registry  # noqa: F401  (registers commands)
from vitalstat.cli import releases as _releases  # noqa: F401  (registers commands)
from vitalstat.cli import server as _server  # noqa: F401  (registers commands)
from vitalstat.cli import sources as _sources  # noqa: F401  (registers commands)
from vitalstat.cli.common import app, err

__all__ = ["app", "main"]


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted; nothing was committed by the unfinished command")
        sys.exit(130)
