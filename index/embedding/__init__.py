"""Embedding: the sentence-transformers model, run through ONNX or torch, and the pipeline
that feeds it texts while files are still being read.
"""
