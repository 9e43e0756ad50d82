"""Guarantees: the fund covers part of a loan within its capacity, pays calls, shares recoveries."""
