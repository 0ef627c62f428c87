"""The cyclic garbage collector, set for a long-running service that allocates in bursts.

A fan-out allocates tasks, futures and frames per delivery; most die by reference counting,
but CPython's young-generation threshold (700 net allocations) still ran a collection every few
dozen deliveries, each walking every young object: 12% of a webhook fan-out's CPU
(``benchmarks``, N=10,000). At 20,000 it is about 1%, for a few MiB more of cycles waiting.
"""

from __future__ import annotations

import gc

GC_YOUNG_THRESHOLD = 20_000


def settle_memory() -> None:
    """Once started: what start-up made (modules, config, pools) is moved out of the
    collector's sight (``gc.freeze``: never garbage, walked by every full collection), and the
    youngest generation is collected less often. Everything acyclic is still freed at once."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)
