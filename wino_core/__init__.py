"""wino-dash's library (the main branch owns this file; the NEW rule lives in wino_core.winograd)."""
