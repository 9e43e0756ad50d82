"""Enterprises: the SMEs that borrow, with the size and ownership facts eligibility needs."""
