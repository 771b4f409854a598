"""Tiers, daily usage and overrides (built in a later step)."""
