"""Rulebooks as governed data: versions drafted, simulated and published in the app (four-eyes)."""
from .registry import RulebookRegistry, init_app, registry

__all__ = ["RulebookRegistry", "init_app", "registry"]
