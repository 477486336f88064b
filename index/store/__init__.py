"""The store of one index folder: SQLite (articles, paragraphs, chunks, FTS5) and the FAISS
vector file, with the commit protocol, the writer lock, checks and reading for questions.
"""
