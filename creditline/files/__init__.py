"""Stored files (quotations, data sheets, evidence), addressed by SHA-256, never replaced."""
