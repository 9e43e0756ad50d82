"""Organisations, users, roles, tokens and the permission layer every read and write uses."""
