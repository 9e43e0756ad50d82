"""Monitoring: plans, reporting periods, reports and their evidence."""
