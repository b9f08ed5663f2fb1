"""Unit tests of the `perf report` parsers in bench/perf_profile.py."""

import unittest

import perf_profile

SYMBOL_REPORT = """\
# Samples: 664  of event 'cpu-clock:ppp'
#
# Overhead  Command          Shared Object         Symbol
# ........  ...............  ....................  ......................
#
     7.70%  trainyard        [kernel.kallsyms]     [k] copy_page_range
     4.10%  trainyard        ld-linux-x86-64.so.2  [.] do_lookup_x
     0.90%  trainyard        trainyard             [.] ty::agent::Journal::Append(std::string const&)


#
"""

FILTERED_REPORT = """\
# Overhead  Command    Shared Object      Symbol                 IPC   [IPC Coverage]
#
     3.88%  trainyard  trainyard          [.] ty::store::Commit   -      -
"""


class ParseTest(unittest.TestCase):
    def test_symbol_rows(self):
        rows = perf_profile.parse_symbols(SYMBOL_REPORT)
        self.assertEqual(len(rows), 3)
        self.assertEqual(rows[0], {"percent": 7.7, "command": "trainyard",
                                   "object": "[kernel.kallsyms]", "symbol": "copy_page_range"})

    def test_symbol_with_spaces_kept_whole(self):
        rows = perf_profile.parse_symbols(SYMBOL_REPORT)
        self.assertEqual(rows[2]["symbol"], "ty::agent::Journal::Append(std::string const&)")

    def test_objects_summed_from_symbols(self):
        rows = perf_profile.sum_by_object(perf_profile.parse_symbols(SYMBOL_REPORT))
        self.assertEqual(rows[0], {"percent": 7.7, "command": "trainyard",
                                   "object": "[kernel.kallsyms]"})
        self.assertEqual([row["object"] for row in rows],
                         ["[kernel.kallsyms]", "ld-linux-x86-64.so.2", "trainyard"])

    def test_objects_of_one_object_add_up(self):
        rows = perf_profile.parse_symbols(SYMBOL_REPORT)
        rows.append(dict(rows[0], symbol="exc_page_fault", percent=1.3))
        self.assertEqual(perf_profile.sum_by_object(rows)[0]["percent"], 9.0)

    def test_ipc_columns_of_filtered_report_dropped(self):
        self.assertEqual(perf_profile.parse_symbols(FILTERED_REPORT)[0]["symbol"],
                         "ty::store::Commit")

    def test_header_only_gives_no_rows(self):
        self.assertEqual(perf_profile.parse_symbols("# Overhead  Command\n#\n"), [])


if __name__ == "__main__":
    unittest.main()
