"""Random streams of the synthetic world.

Every stream is a PCG64 generator seeded from a `SeedSequence` whose spawn key names what it is
for: `(stream, a, b)` with small fixed integers. A table, a chunk of a table or a single unit can
therefore be generated on its own and in any order, and the same seed always gives the same draws.
"""
from __future__ import annotations

import numpy as np

# Stream identifiers: fixed forever, changing one changes every output of that stream.
UNIT = 1  # per-unit latent dynamics and events: key (UNIT, unit_key)
CITY = 2  # per-city regional shocks: key (CITY, city_code)
STATS = 3
FAILURES = 4
COMPLAINT_COUNTS = 5
COMPLAINTS = 6  # key (COMPLAINTS, chunk)
DEBT = 7
CONTRACTS = 8
AREA = 9
NUISANCE = 10  # per-unit nuisance factors: key (NUISANCE, unit_key)


def stream(seed: int, *key: int) -> np.random.Generator:
    """A generator for `seed` and the spawn key `key` (non-negative integers)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(seed), spawn_key=tuple(int(k) for k in key))))
