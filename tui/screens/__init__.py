"""The app's screens, one per file: chat, reader, help and rebuild."""
