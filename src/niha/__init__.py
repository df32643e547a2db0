"""Niha carbon-certificate trading venue."""

__version__ = "0.1.0"
