"""Figures of the comparison: statistics, output parsing, ratios, targets, table.

These are pure functions without I/O, so bench/figures_test.py can check
them under ctest. Figures are nested dicts. A figure that was not measured
is absent or None, and the table shows it as "-".
"""

import re


def percentile(values, fraction):
    """Nearest-rank percentile of `values`, for `fraction` from 0 to 1."""
    if not values:
        raise ValueError("percentile of an empty list")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def summarize(values):
    """Returns the median and p95 of a list of samples, with their count."""
    ordered = sorted(values)
    count = len(ordered)
    middle = count // 2
    median = ordered[middle] if count % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return {"median": median, "p95": percentile(ordered, 0.95), "samples": count}


def _number(pattern, text, what, source):
    match = re.search(pattern, text, re.MULTILINE)
    if not match:
        tail = text.strip()[-400:] or "(no output)"
        raise ValueError(f"{source}: no '{what}' line in its output; it printed: {tail}")
    return float(match.group(1))


def parse_metrics_bench(text):
    """Reads the two result lines that bench/metrics_bench.cc prints."""
    source = "metrics_bench"
    return {
        "points_per_s": _number(r"^batch ingestion:.*= *([0-9.]+) points/s", text,
                                "batch ingestion", source),
        "single_latency_us": {
            "median": _number(r"^single log-metric latency.*median ([0-9.]+) us", text,
                              "single log-metric latency", source),
            "p99": _number(r"^single log-metric latency.*p99 ([0-9.]+) us", text,
                           "single log-metric latency p99", source),
        },
    }


def parse_log_bench(text):
    """Reads the result lines that bench/log_bench.py prints."""
    source = "log_bench.py"
    return {
        "megabytes_per_s": _number(r"^log streaming\s+([0-9.]+) MB/s", text, "log streaming",
                                   source),
        "lines_lost": int(_number(r"^lines lost\s+(-?[0-9]+)", text, "lines lost", source)),
    }


def lookup(figures, path):
    """Returns figures[a][b]... for path "a.b...", or None when any part is missing."""
    value = figures
    for key in path.split("."):
        if not isinstance(value, dict) or value.get(key) is None:
            return None
        value = value[key]
    return value


def ratio(numerator, denominator):
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


# One row per figure: label, then the dotted path of the figure in each
# system's results (None where that system has no such figure).
ROWS = [
    ("submit-to-start median (ms)", "latency_ms.median", "latency_ms.median",
     "latency_ms.median"),
    ("submit-to-start p95 (ms)", "latency_ms.p95", "latency_ms.p95", "latency_ms.p95"),
    ("jobs accepted/s (4 clients)", "throughput.accepted_per_s", "throughput.accepted_per_s",
     None),
    ("jobs completed/s (4 clients)", "throughput.completed_per_s",
     "throughput.completed_per_s", "throughput.completed_per_s"),
    ("jobs failed in the throughput run", "throughput.failed", "throughput.failed", None),
    ("metric batch ingestion (points/s)", "metrics.points_per_s", None, None),
    ("single log-metric median (us)", "metrics.single_latency_us.median", None, None),
    ("single log-metric p99 (us)", "metrics.single_latency_us.p99", None, None),
    ("log streaming (MB/s)", "logs.megabytes_per_s", None, None),
    ("log lines lost", "logs.lines_lost", None, None),
    ("server (slurmctld) RSS idle (MiB)", "memory_mib.server_idle",
     "memory_mib.slurmctld_idle", None),
    ("server (slurmctld) RSS peak (MiB)", "memory_mib.server_peak",
     "memory_mib.slurmctld_peak", None),
    ("agent (slurmd) RSS idle (MiB)", "memory_mib.agent_idle", "memory_mib.slurmd_idle", None),
    ("agent (slurmd) RSS peak (MiB)", "memory_mib.agent_peak", "memory_mib.slurmd_peak", None),
]


def build_rows(results):
    """Returns the table's rows: each figure for each system and the two ratios."""
    rows = []
    for label, trainyard_path, slurm_path, floor_path in ROWS:
        trainyard = lookup(results.get("trainyard"), trainyard_path)
        slurm = lookup(results.get("slurm"), slurm_path) if slurm_path else None
        floor = lookup(results.get("floor"), floor_path) if floor_path else None
        rows.append({"figure": label, "trainyard": trainyard, "slurm": slurm, "floor": floor,
                     "trainyard_over_slurm": ratio(trainyard, slurm),
                     "trainyard_over_floor": ratio(trainyard, floor)})
    return rows


def check_targets(results):
    """Checks each target: returns its measured value, whether it is met, and the gap.

    `gap` is the factor by which the figure must still improve to meet the
    target (1.0 or less when met), or None when a figure is missing.
    """
    def row(rows, label):
        return next(each for each in rows if each["figure"] == label)

    rows = build_rows(results)
    latency = row(rows, "submit-to-start median (ms)")
    completed = row(rows, "jobs completed/s (4 clients)")
    ingestion = row(rows, "metric batch ingestion (points/s)")
    lost = row(rows, "log lines lost")
    # (name, measured value, limit, True when lower values are better)
    specs = [
        ("submit-to-start median: Trainyard/Slurm at most 0.1 (10x faster)",
         latency["trainyard_over_slurm"], 0.1, True),
        ("submit-to-start median: Trainyard/floor at most 50",
         latency["trainyard_over_floor"], 50.0, True),
        ("jobs completed/s: Trainyard/Slurm at least 10",
         completed["trainyard_over_slurm"], 10.0, False),
        ("metric ingestion at least 500,000 points/s", ingestion["trainyard"], 500_000.0, False),
        ("log lines lost: 0", lost["trainyard"], 0, True),
    ]
    targets = []
    for name, value, limit, lower_is_better in specs:
        if value is None:
            met, gap = None, None
        elif lower_is_better:
            met = value <= limit
            gap = None if limit == 0 else value / limit
        else:
            met = value >= limit
            gap = None if value == 0 else limit / value
        targets.append({"target": name, "value": value, "limit": limit, "met": met, "gap": gap})
    return targets


def format_number(value):
    if value is None:
        return "-"
    if isinstance(value, int) or float(value).is_integer() and abs(value) >= 100:
        return f"{value:,.0f}"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def format_table(results):
    """Formats the comparison as fixed-width text: figures, then targets."""
    header = ["figure", "Trainyard", "Slurm", "floor", "TY/Slurm", "TY/floor"]
    lines = [[row["figure"]] + [format_number(row[key]) for key in
                                ("trainyard", "slurm", "floor", "trainyard_over_slurm",
                                 "trainyard_over_floor")]
             for row in build_rows(results)]
    widths = [max(len(str(line[column])) for line in [header] + lines)
              for column in range(len(header))]
    text = []
    for line in [header] + lines:
        cells = [line[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in
                                              zip(line[1:], widths[1:])]
        text.append("  ".join(cells))
    text.append("")
    for target in check_targets(results):
        text.append(f"{target['target']}: {format_number(target['value'])} "
                    f"({format_verdict(target)})")
    return "\n".join(text)


def format_verdict(target):
    if target["met"] is None:
        return "not measured"
    if target["met"]:
        return "met"
    if target["gap"] is None:
        return "missed"
    return f"missed by {target['gap']:.1f}x"


def format_markdown(results):
    """Formats the figures, ratios and targets as Markdown tables, for bench/README.md."""
    lines = ["| figure | Trainyard | Slurm | floor | Trainyard/Slurm | Trainyard/floor |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for row in build_rows(results):
        cells = [format_number(row[key]) for key in ("trainyard", "slurm", "floor",
                                                     "trainyard_over_slurm",
                                                     "trainyard_over_floor")]
        lines.append(f"| {row['figure']} | " + " | ".join(cells) + " |")
    lines += ["", "| target | measured | verdict |", "| --- | ---: | --- |"]
    for target in check_targets(results):
        lines.append(f"| {target['target']} | {format_number(target['value'])} | "
                     f"{format_verdict(target)} |")
    return "\n".join(lines)
