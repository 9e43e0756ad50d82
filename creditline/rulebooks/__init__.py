"""The rulebooks in force: the registry every package reads, and the stored versions it serves."""
from .registry import RulebookRegistry, init_app, registry

__all__ = ["RulebookRegistry", "init_app", "registry"]
