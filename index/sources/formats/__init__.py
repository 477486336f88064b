"""One module per file format, each defining `READER` (an `index.sources.reading.Reader`).

`index.sources.registry` registers every module here by itself: adding a format is adding
a module. A module imports a heavy parser inside its read function, not at the top, so
that finding files (and anything that imports the registry) stays fast.
"""
