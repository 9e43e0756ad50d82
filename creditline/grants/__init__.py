"""Incentive grants: calculated from a confirmed verification, approved, paid exactly once."""
