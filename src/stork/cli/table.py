"""kubectl-style tables: upper-case headers, left-aligned columns, three spaces between."""

from __future__ import annotations

from collections.abc import Sequence

import click

_PADDING = 3
_MIN_WIDTH = 6


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Lay out rows like Go's tabwriter as kubectl's printer sets it up (minimum cell width 6,
    padding 3, the last column not padded, so empty last cells leave trailing spaces)."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    lines = []
    for row in [list(headers), *rows]:
        cells = [
            cell.ljust(max(w + _PADDING, _MIN_WIDTH))
            for cell, w in zip(row[:-1], widths, strict=False)
        ]
        lines.append("".join(cells) + row[-1])
    return "\n".join(lines)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print a table on stdout."""
    click.echo(format_table(headers, rows))
