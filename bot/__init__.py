"""Nexus: the ALX ProDev Project Nexus Discord bot."""

__version__ = "0.1.0"
