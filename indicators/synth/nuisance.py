"""Nuisance factors: unit traits that move the records but have nothing to do with integrity.

Real records differ between units for reasons other than integrity: some units file their
failure records diligently and others hardly at all, citizens of some places call 12345 more
readily, some offices have more capacity to handle tickets or contracts, and some publics are
harder to please. Each factor is a persistent unit effect plus yearly noise, both normal with the
standard deviations of `FACTORS` times the world's `strength` (0 = none: the records follow the
latent integrity alone). Every unit draws from its own stream, so a unit's factors are the same at
every scale. docs/synthetic-world.md ("Nuisance factors") says where each one acts.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import rng

#: factor -> (persistent sd, yearly sd) at strength 1, in the order drawn from a unit's stream.
FACTORS = {
    "filing": (0.50, 0.25),  # log multiplier of background failure records
    "calling": (0.35, 0.10),  # log multiplier of expected 12345 tickets
    "handling": (0.30, 0.20),  # added to the on-time logit of tickets
    "mood": (0.35, 0.15),  # subtracted from the dissatisfaction logit (a better mood, fewer complaints)
    "capacity": (0.35, 0.20),  # log multiplier of contracts; subtracted from the late-delivery logit
}


@dataclass(frozen=True)
class Nuisance:
    """The factors of every unit and year, (U, T) arrays; `strength` scales them all."""

    strength: float
    filing: np.ndarray
    calling: np.ndarray
    handling: np.ndarray
    mood: np.ndarray
    capacity: np.ndarray

    def multiplier(self, name: str) -> np.ndarray:
        """exp(factor), centred so that its mean over units and years is about 1 (volumes keep their totals)."""
        persistent, yearly = FACTORS[name]
        var = self.strength ** 2 * (persistent ** 2 + yearly ** 2)
        return np.exp(getattr(self, name) - var / 2)


def draw(seed: int, unit_keys, n_years: int, strength: float) -> Nuisance:
    """The nuisance factors of the units `unit_keys` (stable integers) over `n_years` years."""
    n = len(unit_keys)
    out = {name: np.zeros((n, n_years)) for name in FACTORS}
    for i, key in enumerate(unit_keys):
        g = rng.stream(seed, rng.NUISANCE, key)
        for name, (persistent, yearly) in FACTORS.items():
            out[name][i] = g.normal(0.0, persistent) + g.normal(0.0, yearly, n_years)
    return Nuisance(strength=float(strength), **{k: float(strength) * v for k, v in out.items()})
