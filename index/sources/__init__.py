"""Reading sources: finding article files, reading them, and splitting them into chunks.

The first steps of the pipeline; imports only `index`'s shared modules (errors, models).
"""
