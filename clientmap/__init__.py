"""Clientmap: who are an IT organization's customers, and why."""

__version__ = "0.1.0"
