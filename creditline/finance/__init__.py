"""Pure finance: money rounding, proposal metrics and loan schedules. No Flask, no database."""
