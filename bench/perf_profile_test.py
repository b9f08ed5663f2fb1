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

OBJECT_REPORT = """\
# Overhead  Command          Shared Object
# ........  ...............  ....................
#
    46.84%  true             [kernel.kallsyms]
    28.77%  true             ld-linux-x86-64.so.2
"""


FILTERED_REPORT = """\
# Overhead  Command    Shared Object      Symbol                 IPC   [IPC Coverage]
#
     3.88%  trainyard  trainyard          [.] ty::store::Commit   -      -
    41.20%  trainyard  [kernel.kallsyms]  -      -
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

    def test_object_rows(self):
        rows = perf_profile.parse_objects(OBJECT_REPORT)
        self.assertEqual([row["object"] for row in rows],
                         ["[kernel.kallsyms]", "ld-linux-x86-64.so.2"])
        self.assertEqual(rows[1]["percent"], 28.77)

    def test_ipc_columns_of_filtered_report_dropped(self):
        self.assertEqual(perf_profile.parse_symbols(FILTERED_REPORT)[0]["symbol"],
                         "ty::store::Commit")
        self.assertEqual(perf_profile.parse_objects(FILTERED_REPORT)[0]["object"],
                         "[kernel.kallsyms]")

    def test_header_only_gives_no_rows(self):
        self.assertEqual(perf_profile.parse_symbols("# Overhead  Command\n#\n"), [])
        self.assertEqual(perf_profile.parse_objects("# Overhead  Command\n#\n"), [])


if __name__ == "__main__":
    unittest.main()
