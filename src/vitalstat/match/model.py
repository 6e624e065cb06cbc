"""The trained model: m and u per comparison level, in a small versioned JSON file.

The file is ours, not Splink's settings dump, so it stays stable across Splink versions
and one file drives both engines: ``splink_settings`` builds the Splink model from
:data:`~vitalstat.match.comparisons.COMPARISONS` plus these numbers. A match weight is
``log2(m / u)`` per level plus the prior's ``log2(p / (1 - p))``.

The prior is per *pair*: the chance that a random subscriber row and a random death
record are the same person. The shipped model assumes one row in ten is on a file of
ten million records (1e-8); a smaller registry makes every match a little easier.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from vitalstat.errors import ConfigError
from vitalstat.match.comparisons import COMPARISONS

__all__ = ["MODEL_FORMAT", "MODEL_VERSION", "Model", "load_model"]

MODEL_FORMAT = "vitalstat-match-model"
MODEL_VERSION = 1


@dataclass(frozen=True, slots=True)
class Model:
    prior: float  # probability two random records (row, death record) match
    m_u: dict[str, dict[str, tuple[float, float]]]  # comparison -> level key -> (m, u)
    trained: dict[str, Any] = field(default_factory=dict)  # how and on what

    def weight(self, comparison: str, level: str) -> float:
        """The level's match weight, ``log2(m / u)`` (0 for a missing value)."""
        if level == "missing":
            return 0.0
        m, u = self.m_u[comparison][level]
        return math.log2(m / u)

    @property
    def prior_weight(self) -> float:
        return math.log2(self.prior / (1 - self.prior))

    def to_json(self) -> str:
        return json.dumps({
            "format": MODEL_FORMAT,
            "version": MODEL_VERSION,
            "prior": self.prior,
            "trained": self.trained,
            "m_u": {c: {k: [round(m, 8), round(u, 10)] for k, (m, u) in levels.items()}
                    for c, levels in self.m_u.items()},
        }, indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str, *, source: str = "model") -> Model:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{source}: not JSON ({exc})") from None
        if data.get("format") != MODEL_FORMAT or data.get("version") != MODEL_VERSION:
            raise ConfigError(f"{source}: not a {MODEL_FORMAT} version {MODEL_VERSION} file")
        m_u = {c: {k: (float(v[0]), float(v[1])) for k, v in levels.items()}
               for c, levels in data["m_u"].items()}
        for comp in COMPARISONS:
            missing = [lv.key for lv in comp.levels if lv.key not in m_u.get(comp.name, {})]
            if missing:
                raise ConfigError(f"{source}: no m/u for {comp.name} levels {missing}")
        return cls(float(data["prior"]), m_u, dict(data.get("trained", {})))


def load_model(path: Path | None = None) -> Model:
    """The model at ``path``, or the one shipped with the package."""
    if path is None:
        text = resources.files("vitalstat.match").joinpath("model.json").read_text("utf-8")
        return Model.from_json(text, source="shipped model")
    try:
        return Model.from_json(path.read_text(encoding="utf-8"), source=str(path))
    except OSError as exc:
        raise ConfigError(f"cannot read model {path}: {exc.strerror}") from None
