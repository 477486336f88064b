"""Building and updating an index: the steps from a folder of articles to a committed
generation of the store.
"""
