"""Portfolios: JSON Resume in, website out (built in a later step)."""
