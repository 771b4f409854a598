"""Project-wide API conventions: the one error shape of every API answer."""
