"""Scoring: build the engine's input from a proposal, run the rulebook, keep the assessment."""
