"""Proposals: an SME's cleaner-production investment, its indicators, documents and review."""
