"""sovtui: a keyboard-driven terminal dashboard for Ray cluster operations."""

__version__ = "0.1.0"
