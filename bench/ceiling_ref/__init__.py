"""The reference app of bench/ceiling.py: Django's own ceiling on this machine."""
