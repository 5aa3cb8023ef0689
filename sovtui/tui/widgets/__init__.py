"""Textual widgets: each shows one part of a snapshot and knows nothing about I/O."""
