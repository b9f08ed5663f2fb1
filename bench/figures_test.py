"""Unit tests of bench/figures.py: statistics, parsing, ratios and targets."""

import unittest

import figures

METRICS_OUTPUT = """\
batch ingestion: 7300000 points in 10.00 s = 730000 points/s (2 connections, 1000 points per \
batch, 10 metric names per batch, bodies prebuilt, 0 failed requests)
single log-metric latency over 2000 requests: median 97 us, p90 180 us, p99 412 us
"""

LOG_OUTPUT = """\
log streaming         8.3 MB/s   (50 MB in 6.0 s, 50000 lines of 1000 bytes)
lines lost        0   (stored 50000 of 50000)
"""


def results(trainyard_latency=40.0, slurm_latency=800.0, floor_latency=1.0,
            trainyard_completed=300.0, slurm_completed=30.0, points=600_000.0, lost=0):
    return {
        "trainyard": {"latency_ms": {"median": trainyard_latency, "p95": 2 * trainyard_latency},
                      "throughput": {"accepted_per_s": 700.0,
                                     "completed_per_s": trainyard_completed},
                      "metrics": {"points_per_s": points,
                                  "single_latency_us": {"median": 97.0, "p99": 412.0}},
                      "logs": {"megabytes_per_s": 8.3, "lines_lost": lost}},
        "slurm": {"latency_ms": {"median": slurm_latency, "p95": 1200.0},
                  "throughput": {"accepted_per_s": 50.0, "completed_per_s": slurm_completed}},
        "floor": {"latency_ms": {"median": floor_latency, "p95": 2.0},
                  "throughput": {"completed_per_s": 900.0}},
    }


def target(all_targets, prefix):
    return next(each for each in all_targets if each["target"].startswith(prefix))


class SummarizeTest(unittest.TestCase):
    def test_odd_count_median_is_middle(self):
        self.assertEqual(figures.summarize([5, 1, 3])["median"], 3)

    def test_even_count_median_is_mean_of_middle(self):
        self.assertEqual(figures.summarize([4, 1, 3, 2])["median"], 2.5)

    def test_p95_of_hundred_samples(self):
        summary = figures.summarize(list(range(1, 101)))
        self.assertEqual(summary["p95"], 95)
        self.assertEqual(summary["samples"], 100)

    def test_single_sample(self):
        self.assertEqual(figures.summarize([7.5]), {"median": 7.5, "p95": 7.5, "samples": 1})

    def test_percentile_of_empty_list_raises(self):
        with self.assertRaises(ValueError):
            figures.percentile([], 0.5)


class ParseTest(unittest.TestCase):
    def test_metrics_bench_output(self):
        parsed = figures.parse_metrics_bench(METRICS_OUTPUT)
        self.assertEqual(parsed["points_per_s"], 730000)
        self.assertEqual(parsed["single_latency_us"], {"median": 97, "p99": 412})

    def test_metrics_bench_missing_line_names_it(self):
        with self.assertRaisesRegex(ValueError, "metrics_bench: no 'batch ingestion' line"):
            figures.parse_metrics_bench("open store failed: disk full\n")

    def test_log_bench_output(self):
        self.assertEqual(figures.parse_log_bench(LOG_OUTPUT),
                         {"megabytes_per_s": 8.3, "lines_lost": 0})

    def test_log_bench_lost_lines_are_read(self):
        text = LOG_OUTPUT.replace("lines lost        0", "lines lost        12")
        self.assertEqual(figures.parse_log_bench(text)["lines_lost"], 12)

    def test_log_bench_empty_output_says_so(self):
        with self.assertRaisesRegex(ValueError, r"no 'log streaming' line.*\(no output\)"):
            figures.parse_log_bench("")


class RowsTest(unittest.TestCase):
    def test_ratios_of_latency(self):
        row = figures.build_rows(results())[0]
        self.assertEqual(row["figure"], "submit-to-start median (ms)")
        self.assertAlmostEqual(row["trainyard_over_slurm"], 0.05)
        self.assertAlmostEqual(row["trainyard_over_floor"], 40.0)

    def test_missing_system_gives_no_ratio(self):
        partial = results()
        del partial["slurm"]
        row = figures.build_rows(partial)[0]
        self.assertIsNone(row["slurm"])
        self.assertIsNone(row["trainyard_over_slurm"])
        self.assertAlmostEqual(row["trainyard_over_floor"], 40.0)

    def test_zero_denominator_gives_no_ratio(self):
        row = figures.build_rows(results(slurm_completed=0.0))[3]
        self.assertEqual(row["figure"], "jobs completed/s (4 clients)")
        self.assertIsNone(row["trainyard_over_slurm"])


class TargetsTest(unittest.TestCase):
    def test_all_met(self):
        for each in figures.check_targets(results()):
            self.assertTrue(each["met"], each["target"])

    def test_latency_missed_against_slurm_gives_gap(self):
        latency = target(figures.check_targets(results(trainyard_latency=160.0)),
                         "submit-to-start median: Trainyard/Slurm")
        self.assertFalse(latency["met"])
        self.assertAlmostEqual(latency["gap"], 2.0)

    def test_latency_missed_against_floor(self):
        floor = target(figures.check_targets(results(floor_latency=0.5)),
                       "submit-to-start median: Trainyard/floor")
        self.assertFalse(floor["met"])
        self.assertAlmostEqual(floor["gap"], 1.6)

    def test_throughput_missed_gives_gap(self):
        completed = target(figures.check_targets(results(trainyard_completed=100.0)),
                           "jobs completed/s")
        self.assertFalse(completed["met"])
        self.assertAlmostEqual(completed["gap"], 3.0)

    def test_ingestion_exactly_at_limit_is_met(self):
        ingestion = target(figures.check_targets(results(points=500_000.0)), "metric ingestion")
        self.assertTrue(ingestion["met"])

    def test_lost_lines_miss(self):
        lost = target(figures.check_targets(results(lost=3)), "log lines lost")
        self.assertFalse(lost["met"])

    def test_unmeasured_target_is_neither_met_nor_missed(self):
        partial = results()
        del partial["slurm"]
        completed = target(figures.check_targets(partial), "jobs completed/s")
        self.assertIsNone(completed["met"])


class FormatTest(unittest.TestCase):
    def test_table_lists_figures_and_verdicts(self):
        text = figures.format_table(results(trainyard_latency=160.0))
        self.assertIn("submit-to-start median (ms)", text)
        self.assertIn("(missed by 2.0x)", text)
        self.assertIn("metric ingestion at least 500,000 points/s: 600,000 (met)", text)

    def test_missing_value_shows_dash(self):
        partial = results()
        del partial["floor"]
        line = next(each for each in figures.format_table(partial).splitlines()
                    if each.startswith("submit-to-start median"))
        self.assertEqual(line.split()[5], "-")

    def test_markdown_has_one_row_per_figure_and_target(self):
        lines = figures.format_markdown(results()).splitlines()
        targets = figures.check_targets(results())
        self.assertEqual(len(lines), 2 + len(figures.ROWS) + 3 + len(targets))
        self.assertEqual(lines[2 + len(figures.ROWS)], "")

    def test_markdown_target_verdict(self):
        text = figures.format_markdown(results(trainyard_completed=100.0))
        self.assertIn("| jobs completed/s: Trainyard/Slurm at least 10 | 3.33 | missed by 3.0x |",
                      text)

    def test_number_formats(self):
        self.assertEqual(figures.format_number(None), "-")
        self.assertEqual(figures.format_number(730000.4), "730,000")
        self.assertEqual(figures.format_number(8.333), "8.33")
        self.assertEqual(figures.format_number(0.04567), "0.0457")
        self.assertEqual(figures.format_number(0), "0")


if __name__ == "__main__":
    unittest.main()
