"""Ratios as managers read them: one definition of a rate and one way to print it.

A rate is numerator / denominator; with no denominator it is undefined (None) and printed "—",
never 0 % and never a division error. Every page, export and PDF prints rates with
`format_percent`, so the same figure reads the same everywhere.
"""

DASH = "—"


def rate(numerator: float | int | None, denominator: float | int | None) -> float | None:
    """Return numerator / denominator, or None when the denominator is zero or missing."""
    if not denominator:
        return None
    return (numerator or 0) / denominator


def format_percent(value: float | None) -> str:
    """Print a rate with one decimal ("37.5%"), "—" when undefined."""
    if value is None:
        return DASH
    return f"{value * 100:.1f}%"
