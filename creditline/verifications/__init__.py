"""Verification of the benefit achieved, with the four-eyes decision."""
