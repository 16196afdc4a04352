"""The growth tables of bench/RESULTS.md, from the figures `python -m bench` saved.

    python -m bench.report            # every size and database found under instance/bench/

For each database: each operation's median at each size (ours, then stock), the growth of
ours from one size to the next, the part of ours spent in the database at each size (saved
since the runs of 2026-11-29; older runs show "—"), the statements per run, and stock/ours at
the largest size.
Only full runs (results-<db>-<N>.json, no --only or --suffix) are read.
"""
import json
import re
from pathlib import Path

from bench.scale_db import DATA_DIR

FULL_RUN = re.compile(r"results-(sqlite|postgresql)-(\d+)\.json")
EXPORT = "CSV export, all companies"


def load(folder: Path = DATA_DIR) -> dict[str, dict[int, dict]]:
    """{db: {companies: results}} of the full runs saved in `folder`."""
    found: dict[str, dict[int, dict]] = {}
    for path in sorted(folder.glob("results-*.json")):
        match = FULL_RUN.fullmatch(path.name)
        if match:
            found.setdefault(match[1], {})[int(match[2])] = json.loads(path.read_text())["results"]
    return found


def _size(companies: int) -> str:
    return f"{companies // 1_000_000}M" if companies >= 1_000_000 else f"{companies // 1_000}k"


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _figure(figures: dict | None, side: str) -> dict | None:
    return (figures or {}).get(side)


def table(db: str, runs: dict[int, dict]) -> list[str]:
    """One Markdown table: medians per size, growth, statements and stock/ours."""
    sizes = sorted(runs)
    head = ["operation"] + [f"ours {_size(s)}" for s in sizes]
    head += [f"growth {_size(a)}→{_size(b)}" for a, b in zip(sizes, sizes[1:])]
    head += [f"in DB {_size(s)}" for s in sizes]
    head += ["SQL"] + [f"stock {_size(s)}" for s in sizes] + [f"stock/ours {_size(sizes[-1])}"]
    lines = [f"| {' | '.join(head)} |", "| --- |" + " ---: |" * (len(head) - 1)]
    labels = [label for label in runs[sizes[-1]] if label != EXPORT]
    labels += [label for s in sizes for label in runs[s] if label not in labels and label != EXPORT]
    for label in labels:
        ours = [_figure(runs[s].get(label), "ours") for s in sizes]
        stock = [_figure(runs[s].get(label), "stock") for s in sizes]
        medians = [f["median"] if f else None for f in ours]
        row = [label] + [_ms(m) for m in medians]
        row += [f"{b / a:.1f}×" if a and b else "—" for a, b in zip(medians, medians[1:])]
        row += [_ms(f.get("db")) if f else "—" for f in ours]
        statements = sorted({f["sql"] for f in ours if f and f.get("sql") is not None})
        row += ["–".join(map(str, (statements[0], statements[-1]))) if len(statements) > 1
                else (str(statements[0]) if statements else "—")]
        row += [_ms(f["median"]) if f else "—" for f in stock]
        last_ours, last_stock = ours[-1], stock[-1]
        row += [f"{last_stock['median'] / last_ours['median']:.1f}×"
                if last_ours and last_stock else "—"]
        lines.append(f"| {' | '.join(row)} |")
    return lines


def export_table(runs: dict[int, dict]) -> list[str]:
    """The streamed CSV export of every company, per size: ours and stock."""
    lines = ["| companies | first byte (ours / stock) | total | peak Python memory |",
             "| --- | ---: | ---: | ---: |"]
    for size in sorted(runs):
        figures = runs[size].get(EXPORT)
        if not figures:
            continue
        ours, stock = figures["ours"], figures.get("stock") or {}

        def pair(key: str, unit: str) -> str:
            return f"{_ms(ours[key])} / {_ms(stock.get(key))} {unit}"
        lines.append(f"| {ours['rows']:,} | {pair('first_byte_ms', 'ms')} | "
                     f"{pair('total_ms', 'ms')} | {ours['peak_mb']:.1f} / "
                     f"{stock.get('peak_mb', 0):.1f} MB |")
    return lines


def main() -> None:
    for db, runs in load().items():
        print(f"\n### {db}: medians in ms (ours, stock); growth = ours at a size / ours at the "
              "size before\n")
        print("\n".join(table(db, runs)))
        print(f"\n{db}: the export of every company (ours / stock)\n")
        print("\n".join(export_table(runs)))


if __name__ == "__main__":
    main()
