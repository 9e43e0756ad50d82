"""Scheduled jobs: the daily run of every registered step, once per day, from one runner."""
