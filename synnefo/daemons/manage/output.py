"""Printing tables and JSON for people and machines."""
import json
import sys


def print_table(rows: list[dict], columns: list[str], out=None) -> None:
    out = out or sys.stdout
    if not rows:
        print("(none)", file=out)
        return
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    print("  ".join(c.upper().ljust(widths[c]) for c in columns), file=out)
    for row in rows:
        print("  ".join(str(row.get(c, "")).ljust(widths[c]) for c in columns), file=out)


def print_json(data, out=None) -> None:
    out = out or sys.stdout
    json.dump(data, out, indent=2, sort_keys=True, default=str)
    out.write("\n")


def emit(rows: list[dict], columns: list[str], as_json: bool) -> None:
    if as_json:
        print_json(rows)
    else:
        print_table(rows, columns)
