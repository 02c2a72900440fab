#!/usr/bin/python3
"""Tests for rtbench_plots.py: expected files from the checked-in sample run
folder, a self-contained HTML report, and one-line errors (exit 2) on
missing or malformed input."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "rtbench_plots.py")
SAMPLE = os.path.join(HERE, "..", "results", "samples", "compare-tiny")


def plot(folder):
    return subprocess.run([sys.executable, SCRIPT, folder], capture_output=True, text=True)


class SampleRun(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        cls.run_dir = os.path.join(cls.tmp, "run")
        shutil.copytree(SAMPLE, cls.run_dir)
        cls.result = plot(cls.run_dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def test_exit_zero(self):
        self.assertEqual(self.result.returncode, 0, self.result.stderr)

    def test_every_chart_in_png_and_svg(self):
        names = ["overhead", "traffic_vs_clients", "server_cpu", "memory_per_connection", "connect_time",
                 "latency_spectrum_push_c2_r20_p16", "latency_spectrum_push_c5_r20_p256"]
        for n in names:
            with open(os.path.join(self.run_dir, n + ".png"), "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n", n)
            with open(os.path.join(self.run_dir, n + ".svg")) as f:
                self.assertIn("<svg", f.read(2000), n)

    def test_html_report_is_self_contained(self):
        with open(os.path.join(self.run_dir, "report.html")) as f:
            page = f.read()
        self.assertNotIn('src="http', page)
        self.assertNotIn("<link", page)
        self.assertNotIn("<script", page)
        self.assertIn('src="data:image/png;base64,', page)
        for t in ["polling", "long-polling", "streaming", "sse", "websocket"]:
            self.assertIn(f"<td>{t}</td>", page)

    def test_markdown_report_has_table_and_charts(self):
        with open(os.path.join(self.run_dir, "report.md")) as f:
            md = f.read()
        self.assertIn("| transport | scenario | clients |", md)
        self.assertIn("![overhead](overhead.png)", md)
        self.assertIn("## Warnings", md)
        self.assertIn("rtbench run", md)  # the command line from the manifest


class FramingSplit(unittest.TestCase):
    """A format-2 run (framing apart from the envelope) shows framing; the
    format-1 sample above shows "–" there, never a number it does not have."""

    def test_format2_table_shows_framing_and_envelope(self):
        import csv
        tmp = tempfile.mkdtemp()
        try:
            run_dir = os.path.join(tmp, "run")
            shutil.copytree(SAMPLE, run_dir)
            path = os.path.join(run_dir, "results.csv")
            with open(path, newline="") as f:
                rows = list(csv.DictReader(f))
            for r in rows:  # 1.5 B of framing, 31 B of envelope per message, as a known answer
                r["framing_bytes_per_msg"] = "1.500"
                r["envelope_bytes_per_msg"] = "31.000"
                r["framing_ratio"] = "1.020"
                r["app_bytes_in_window"] = "0"
            with open(path, "w", newline="") as f:
                w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
                w.writeheader()
                w.writerows(rows)
            res = plot(run_dir)
            self.assertEqual(res.returncode, 0, res.stderr)
            with open(os.path.join(run_dir, "report.md")) as f:
                md = f.read()
            self.assertIn("| framing B/msg | envelope B/msg |", md)
            self.assertIn("| 1.5 | 31.0 |", md)
            with open(os.path.join(run_dir, "overhead.svg")) as f:
                self.assertIn("Framing per message", f.read())
        finally:
            shutil.rmtree(tmp)

    def test_format1_sample_has_no_framing_numbers(self):
        tmp = tempfile.mkdtemp()
        try:
            run_dir = os.path.join(tmp, "run")
            shutil.copytree(SAMPLE, run_dir)
            self.assertEqual(plot(run_dir).returncode, 0)
            with open(os.path.join(run_dir, "report.md")) as f:
                md = f.read()
            self.assertIn("| – | – |", md)
        finally:
            shutil.rmtree(tmp)


class BadInput(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def assert_one_line_exit_2(self, r):
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stderr.count("\n"), 1, r.stderr)
        self.assertTrue(r.stderr.startswith("rtbench plot: "), r.stderr)

    def test_missing_csv(self):
        self.assert_one_line_exit_2(plot(self.tmp))

    def test_missing_folder(self):
        self.assert_one_line_exit_2(plot(os.path.join(self.tmp, "nope")))

    def test_missing_columns(self):
        with open(os.path.join(self.tmp, "results.csv"), "w") as f:
            f.write("transport,scenario\nsse,push\n")
        r = plot(self.tmp)
        self.assert_one_line_exit_2(r)
        self.assertIn("missing columns", r.stderr)

    def test_not_a_number(self):
        with open(os.path.join(SAMPLE, "results.csv")) as f:
            lines = f.read().splitlines()
        cells = lines[1].split(",")
        cells[2] = "many"  # clients
        with open(os.path.join(self.tmp, "results.csv"), "w") as f:
            f.write(lines[0] + "\n" + ",".join(cells) + "\n")
        r = plot(self.tmp)
        self.assert_one_line_exit_2(r)
        self.assertIn("clients", r.stderr)

    def test_short_row(self):
        with open(os.path.join(SAMPLE, "results.csv")) as f:
            header = f.readline()
        with open(os.path.join(self.tmp, "results.csv"), "w") as f:
            f.write(header + "sse,push,3\n")
        self.assert_one_line_exit_2(plot(self.tmp))

    def test_header_only(self):
        with open(os.path.join(SAMPLE, "results.csv")) as f:
            header = f.readline()
        with open(os.path.join(self.tmp, "results.csv"), "w") as f:
            f.write(header)
        self.assert_one_line_exit_2(plot(self.tmp))


class Warnings(unittest.TestCase):
    def test_client_bound_and_loss_are_said_in_words(self):
        tmp = tempfile.mkdtemp()
        try:
            with open(os.path.join(SAMPLE, "results.csv")) as f:
                lines = f.read().splitlines()
            head = lines[0].split(",")
            cells = lines[1].split(",")
            cells[head.index("client_bound")] = "true"
            cells[head.index("lost")] = "7"
            with open(os.path.join(tmp, "results.csv"), "w") as f:
                f.write(lines[0] + "\n" + ",".join(cells) + "\n")
            self.assertEqual(plot(tmp).returncode, 0)
            with open(os.path.join(tmp, "report.md")) as f:
                md = f.read()
            self.assertIn("the load generator was the bottleneck", md)
            self.assertIn("7 messages lost", md)
        finally:
            shutil.rmtree(tmp)


if __name__ == "__main__":
    unittest.main(verbosity=2)
