"""The article library and its search index: reading, splitting, embedding, storing, building.

Never imports `qa` or `tui`; heavy libraries (torch, faiss, onnxruntime) load lazily.
"""
