"""Store ids: the ids a store answers with, unique across the stores of one library.

A database numbers its own articles, paragraphs and chunks from 1, so two stores (the
shards of one library) reuse the same numbers. A store opened as store `n` answers with
`n << ROW_BITS | row id` instead: one int64, so hits stay numpy arrays and merging the
results of several stores is a union, and `store_of` tells which store an id belongs
to. Store 0 (the default, and a library of one store) answers with its row ids as they are.
"""

from __future__ import annotations

ROW_BITS = 40
"""Bits of a store id that hold the row id: a trillion rows per table and store."""
MAX_STORES = 1 << (63 - ROW_BITS)
ROW_MASK = (1 << ROW_BITS) - 1


def store_base(store: int) -> int:
    """What store `store` adds to its row ids."""
    if not 0 <= store < MAX_STORES:
        raise ValueError(f"store number {store} is not in 0..{MAX_STORES - 1}")
    return store << ROW_BITS


def store_id(store: int, row_id: int) -> int:
    """The store id of row `row_id` of store `store`."""
    return store_base(store) | row_id


def store_of(some_id: int) -> int:
    """Which store a store id belongs to."""
    return some_id >> ROW_BITS


def row_of(some_id: int) -> int:
    """The row id inside its store of a store id."""
    return some_id & ROW_MASK
