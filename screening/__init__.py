"""Compliance and content screening for Chinese live commerce."""

from screening.findings import Finding, Severity

__all__ = ["Finding", "Severity"]
__version__ = "0.1.0"
