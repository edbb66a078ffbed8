"""Weights through a hierarchy given as parallel lists (codes, parents, weights): each element's
share within its parent and its effective share of the index, stated once for the framework and
for COINr tables alike.

Notes
-----
Weights are relative within a parent. A parent whose children's weights are all zero gives each
of them a share of 0, not NaN: they carry none of the index, and a published table of shares
stays a table of numbers that add up.
"""
from __future__ import annotations


def weight_shares(codes, parents, weights) -> list[float]:
    """Each element's weight as a share of its siblings' weights (the root, parent None: 1).

    Examples
    --------
    >>> weight_shares(["a", "b", "c", "I"], ["I", "I", "I", None], [1, 3, 0, 1])
    [0.25, 0.75, 0.0, 1.0]
    >>> weight_shares(["a", "I"], ["I", None], [0, 1])
    [0.0, 1.0]
    """
    total: dict = {}
    for p, w in zip(parents, weights):
        total[p] = total.get(p, 0.0) + float(w)
    return [1.0 if p is None else (float(w) / total[p] if total[p] > 0 else 0.0)
            for p, w in zip(parents, weights)]


def effective_weights(codes, parents, weights) -> list[float]:
    """Each element's share of the index: its share within its parent times the parent's
    effective weight (the root has 1). Codes may come in any order.

    Examples
    --------
    >>> effective_weights(["i1", "i2", "i3", "P1", "P2", "Idx"],
    ...                   ["P1", "P1", "P2", "Idx", "Idx", None],
    ...                   [1, 3, 1, 1, 1, 1])
    [0.125, 0.375, 0.5, 0.5, 0.5, 1.0]
    """
    share = dict(zip(codes, weight_shares(codes, parents, weights)))
    parent = dict(zip(codes, parents))
    out: dict = {}

    def eff(c) -> float:
        if c not in out:
            p = parent[c]
            out[c] = share[c] * (1.0 if p is None else eff(p))
        return out[c]

    return [eff(c) for c in codes]
