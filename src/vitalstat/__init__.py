"""Vitalstat: an open death master file.

See README.md for the commands and ``../shared/DESIGN.md`` for the architecture.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
