"""Rulebooks: the condition language, loading and validation, facts, the scoring engine."""
