"""The sharded library: several index folders (shards) under one manifest, built in parallel.

A library index folder is either one store (today's format: `library.sqlite` and its
vector file) or a `manifest.json` beside `shard-NNN/` folders, each of them such a store.
Articles go to shards by a stable hash of their file's path inside its library folder
(`assign`); the manifest (`manifest`) lists the shards' committed generations and the
library's global BM25 statistics, so that a fan-out ranks as one store would. Builds run
one task per shard on an executor (`executors`: a local process pool, or Dask).
"""
