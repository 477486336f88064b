"""Widgets of the chat screen: the question input, the status line, turns and cards."""
