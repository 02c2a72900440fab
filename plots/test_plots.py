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

    def test_no_capacity_chart_without_a_search(self):
        self.assertFalse(os.path.exists(os.path.join(self.run_dir, "capacity.png")))

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


def sample_with(tmp, values):
    """The sample run copied into tmp/run with `values` set in every row of
    its results.csv (columns it lacks are added); returns the folder."""
    import csv
    run_dir = os.path.join(tmp, "run")
    shutil.copytree(SAMPLE, run_dir)
    path = os.path.join(run_dir, "results.csv")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        r.update(values)
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    return run_dir


class FramingSplit(unittest.TestCase):
    """A format-2 run (framing apart from the envelope) shows framing; the
    format-1 sample above shows "–" there, never a number it does not have."""

    def test_format2_table_shows_framing_and_envelope(self):
        tmp = tempfile.mkdtemp()
        try:
            # 1.5 B of framing, 31 B of envelope per message, as a known answer
            run_dir = sample_with(tmp, {"framing_bytes_per_msg": "1.500", "envelope_bytes_per_msg": "31.000",
                                        "framing_ratio": "1.020", "app_bytes_in_window": "0"})
            res = plot(run_dir)
            self.assertEqual(res.returncode, 0, res.stderr)
            with open(os.path.join(run_dir, "report.md")) as f:
                md = f.read()
            self.assertIn("| framing B/msg | envelope B/msg |", md)
            self.assertIn("| 1.5 | 31.0 |", md)
            # No network profiles before format 3: no net column, no RTT chart.
            self.assertNotIn("| net |", md)
            self.assertNotIn("relay", md)
            self.assertFalse(os.path.exists(os.path.join(run_dir, "latency_vs_rtt.png")))
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

    def test_format7_table_shows_the_latency_at_kernel_receive(self):
        """From format 7 the headline is rx_latency_* (the load generator's
        delay left out); latency_* (at processed time) stays in the CSV."""
        tmp = tempfile.mkdtemp()
        try:
            run_dir = sample_with(tmp, {"latency_p50_us": "9000.000", "latency_p99_us": "19000.000",
                                        "latency_max_us": "21000.000", "rx_latency_p50_us": "1234.000",
                                        "rx_latency_p90_us": "1300.000", "rx_latency_p99_us": "2345.000",
                                        "rx_latency_p999_us": "2400.000", "rx_latency_max_us": "3456.000"})
            res = plot(run_dir)
            self.assertEqual(res.returncode, 0, res.stderr)
            with open(os.path.join(run_dir, "report.md")) as f:
                md = f.read()
            self.assertIn("| 1.234 | 2.345 | 3.456 |", md)
            self.assertNotIn("| 9.000 | 19.000 |", md)
        finally:
            shutil.rmtree(tmp)


NET_COLUMNS = ["net", "net_rtt_ms", "net_jitter_ms", "net_down_bps", "net_up_bps", "net_loss_pct",
               "net_resets_per_min", "relay_cpu_util", "relay_cpu_us_per_msg", "relay_rss_bytes",
               "relay_lateness_p99_us", "relay_lateness_max_us", "relay_resets", "relay_bound",
               "server_rss_window_start_bytes"]


def spectrum_slug(net):
    """As harness/report.cpp spectrum_file_name: not [A-Za-z0-9.] -> '_'."""
    return "".join(c if c.isalnum() or c == "." else "_" for c in net)


class TlsRows(unittest.TestCase):
    """A format-4 run with plain and TLS rows of the same point: text columns
    (tls, via, failure) read as text, empty TLS columns on plain rows are
    not errors, and each path is a line and a spectrum of its own."""

    @classmethod
    def setUpClass(cls):
        import csv
        cls.tmp = tempfile.mkdtemp()
        cls.run_dir = os.path.join(cls.tmp, "run")
        os.makedirs(os.path.join(cls.run_dir, "spectra"))
        with open(os.path.join(SAMPLE, "results.csv"), newline="") as f:
            sample = [r for r in csv.DictReader(f)
                      if r["transport"] in ("sse", "websocket") and r["clients"] == "2" and r["payload_bytes"] == "16"]
        rows = []
        for base in sample:
            for tls in ("none", "1.3"):
                r = dict(base)
                on = tls != "none"
                r.update({"net": "none", "tls": tls, "tls_cert": "ecdsa-p256" if on else "",
                          "tls_resume": "false" if on else "", "tls_handshake_p50_us": "900.000" if on else "",
                          "tls_bytes_per_msg": "22.000" if on else "", "via": "none", "proxy_cpu_util": "",
                          "failure": "1 of 2 clients never connected: a, b" .replace(",", ";") if on else ""})
                rows.append(r)
                name = f"{r['transport']}_push_c2_r20_p16" + ("_net-none_tls_1.3" if on else "")
                shutil.copy(os.path.join(SAMPLE, "spectra", f"{r['transport']}_push_c2_r20_p16.txt"),
                            os.path.join(cls.run_dir, "spectra", name + ".txt"))
        write_run(cls.run_dir, rows)
        cls.result = plot(cls.run_dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def test_exit_zero(self):
        self.assertEqual(self.result.returncode, 0, self.result.stderr)

    def test_tls_rows_are_their_own_lines_and_spectra(self):
        with open(os.path.join(self.run_dir, "traffic_vs_clients.svg")) as f:
            svg = f.read()
        self.assertIn("websocket (none tls=1.3)", svg)
        self.assertIn("websocket (none)", svg)
        self.assertTrue(os.path.isfile(os.path.join(self.run_dir, "latency_spectrum_push_c2_r20_p16_net-none_tls_1.3.png")))


def sample_rows(transports):
    """The sample run's rows of 2 clients and 16 B payloads for these transports."""
    import csv
    with open(os.path.join(SAMPLE, "results.csv"), newline="") as f:
        return [r for r in csv.DictReader(f)
                if r["transport"] in transports and r["clients"] == "2" and r["payload_bytes"] == "16"]


def write_run(run_dir, rows):
    """results.csv with these rows, and the sample's manifest."""
    import csv
    with open(os.path.join(run_dir, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    shutil.copy(os.path.join(SAMPLE, "manifest.json"), os.path.join(run_dir, "manifest.json"))


class Repeats(unittest.TestCase):
    """A format-6 run with --repeat 3: the table has one row per point with
    each figure's median over its three runs, and the report says so."""

    def test_table_shows_the_median_of_the_runs(self):
        tmp = tempfile.mkdtemp()
        try:
            run_dir = os.path.join(tmp, "run")
            os.makedirs(os.path.join(run_dir, "spectra"))
            sample = sample_rows(("sse", "websocket"))
            rows = []
            for n, p50 in ((1, 100.0), (2, 900.0), (3, 300.0)):  # median 300 us = 0.300 ms
                for base in sample:
                    r = dict(base)
                    r.update({"latency_p50_us": f"{p50:.3f}", "repeat": str(n), "delivered_per_s": "40.000"})
                    rows.append(r)
            for base in sample:
                shutil.copy(os.path.join(SAMPLE, "spectra", f"{base['transport']}_push_c2_r20_p16.txt"),
                            os.path.join(run_dir, "spectra"))
            write_run(run_dir, rows)
            result = plot(run_dir)
            self.assertEqual(result.returncode, 0, result.stderr)
            with open(os.path.join(run_dir, "report.md")) as f:
                md = f.read()
            self.assertIn("Each point ran 3 times (--repeat)", md)
            table = [l for l in md.splitlines() if l.startswith("| sse ") or l.startswith("| websocket ")]
            self.assertEqual(len(table), 2, table)
            for line in table:
                self.assertIn("| 0.300 |", line)
        finally:
            shutil.rmtree(tmp)


class KindsAndHeaders(unittest.TestCase):
    """Format 6: rows that differ only by payload kind or by request headers
    keep their own spectra and charts, named as rtbench names them."""

    def test_each_kind_and_header_profile_has_its_spectrum_chart(self):
        tmp = tempfile.mkdtemp()
        try:
            run_dir = os.path.join(tmp, "run")
            os.makedirs(os.path.join(run_dir, "spectra"))
            rows = []
            for base in sample_rows(("sse",)):
                for kind, headers, suffix in (("pattern", "minimal", ""), ("json", "minimal", "_kjson"),
                                              ("pattern", "browser", "_net-none_headers_browser")):
                    r = dict(base)
                    r.update({"payload_kind": kind, "headers": headers, "repeat": "1"})
                    rows.append(r)
                    shutil.copy(os.path.join(SAMPLE, "spectra", "sse_push_c2_r20_p16.txt"),
                                os.path.join(run_dir, "spectra", f"sse_push_c2_r20_p16{suffix}.txt"))
            write_run(run_dir, rows)
            result = plot(run_dir)
            self.assertEqual(result.returncode, 0, result.stderr)
            for chart in ("latency_spectrum_push_c2_r20_p16", "latency_spectrum_push_c2_r20_p16_kjson",
                          "latency_spectrum_push_c2_r20_p16_net-none_headers_browser"):
                self.assertTrue(os.path.isfile(os.path.join(run_dir, chart + ".png")), chart)
        finally:
            shutil.rmtree(tmp)


class CapacitySearch(unittest.TestCase):
    """A --find-max run: its probes (slo_met) and capacity.csv give the knee
    chart; a run without them has none."""

    def test_knee_chart_from_the_probes(self):
        tmp = tempfile.mkdtemp()
        try:
            run_dir = os.path.join(tmp, "run")
            os.makedirs(os.path.join(run_dir, "spectra"))
            base = sample_rows(("websocket",))[0]
            rows = []
            for rate, p99, met in ((100, 1000.0, "true"), (200, 2000.0, "true"), (400, 90000.0, "false")):
                r = dict(base)
                r.update({"rate_hz": f"{rate:.3f}", "latency_p99_us": f"{p99:.3f}", "repeat": "1",
                          "delivered_per_s": f"{2 * rate:.3f}", "slo_met": met,
                          "slo_why": "" if met == "true" else "p99 90 ms > 50 ms"})
                rows.append(r)
                shutil.copy(os.path.join(SAMPLE, "spectra", "websocket_push_c2_r20_p16.txt"),
                            os.path.join(run_dir, "spectra", f"websocket_push_c2_r{rate}_p16.txt"))
            write_run(run_dir, rows)
            with open(os.path.join(run_dir, "capacity.csv"), "w") as f:
                f.write("transport,scenario,net,tls,via,payload_bytes,searched,clients,rate_hz,slo,max_load,"
                        "delivered_per_s,rx_latency_ms,first_miss,why,stopped,probes\n"
                        "websocket,push,none,none,none,16,rate,2,,p99 ≤ 50 ms; loss ≤ 0 %,200,400.000,2.000,400,"
                        "p99 90 ms > 50 ms,bracketed,3\n")
            result = plot(run_dir)
            self.assertEqual(result.returncode, 0, result.stderr)
            with open(os.path.join(run_dir, "capacity.svg")) as f:
                svg = f.read()
            self.assertIn("objective: p99 ≤ 50 ms", svg)
        finally:
            shutil.rmtree(tmp)


class NetworkProfiles(unittest.TestCase):
    """A format-3 run sweeping the network profile (none, rtt=50ms,
    rtt=100ms, and one with jitter) for two transports: rows that differ
    only by profile stay apart, and latency is drawn against the RTT."""

    NETS = [("none", 0, 0), ("rtt=50ms", 50, 0), ("rtt=100ms", 100, 0), ("rtt=100ms jitter=10ms", 100, 10)]

    @classmethod
    def setUpClass(cls):
        import csv
        import json
        cls.tmp = tempfile.mkdtemp()
        cls.run_dir = os.path.join(cls.tmp, "run")
        os.makedirs(os.path.join(cls.run_dir, "spectra"))
        shutil.copytree(os.path.join(SAMPLE, "connect"), os.path.join(cls.run_dir, "connect"))  # a format-1 sub-run
        with open(os.path.join(SAMPLE, "results.csv"), newline="") as f:
            sample = [r for r in csv.DictReader(f)
                      if r["transport"] in ("sse", "websocket") and r["clients"] == "2" and r["payload_bytes"] == "16"]
        rows = []
        for base in sample:
            for net, rtt, jitter in cls.NETS:
                r = dict(base)
                r.update({"app_bytes_in_window": "0", "framing_bytes_per_msg": "1.500",
                          "envelope_bytes_per_msg": "31.000", "framing_ratio": "1.020"})
                for k in ("latency_p50_us", "latency_p99_us", "latency_max_us"):
                    r[k] = f"{float(base[k]) + rtt * 1000 + jitter * 500:.3f}"
                relay = net != "none"
                r.update({"net": net, "net_rtt_ms": f"{rtt:.3f}", "net_jitter_ms": f"{jitter:.3f}",
                          "net_down_bps": "0.000", "net_up_bps": "0.000", "net_loss_pct": "0.000",
                          "net_resets_per_min": "0.000",
                          "relay_cpu_util": "0.010" if relay else "", "relay_cpu_us_per_msg": "12.000" if relay else "",
                          "relay_rss_bytes": "4194304" if relay else "",
                          "relay_lateness_p99_us": "80.000" if relay else "",
                          "relay_lateness_max_us": "200.000" if relay else "", "relay_resets": "0" if relay else "",
                          "relay_bound": ("true" if (r["transport"], net) == ("websocket", "rtt=100ms") else "false")
                          if relay else ""})
                rows.append(r)
                name = f"{r['transport']}_push_c2_r20_p16" + ("" if net == "none" else f"_net-{spectrum_slug(net)}")
                shutil.copy(os.path.join(SAMPLE, "spectra", f"{r['transport']}_push_c2_r20_p16.txt"),
                            os.path.join(cls.run_dir, "spectra", name + ".txt"))
        with open(os.path.join(cls.run_dir, "results.csv"), "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
            w.writeheader()
            w.writerows(rows)
        with open(os.path.join(SAMPLE, "manifest.json")) as f:
            manifest = json.load(f)
        manifest["format"] = 3
        with open(os.path.join(cls.run_dir, "manifest.json"), "w") as f:
            json.dump(manifest, f)
        cls.result = plot(cls.run_dir)
        with open(os.path.join(cls.run_dir, "report.md")) as f:
            cls.md = f.read()
        with open(os.path.join(cls.run_dir, "report.html")) as f:
            cls.page = f.read()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def test_synthetic_columns_match_the_cpp_list(self):
        """The format-3 columns made up here are the ones harness/report.cpp writes, in its order."""
        import re
        src = os.path.join(HERE, "..", "harness", "report.cpp")
        if not os.path.isfile(src):
            self.skipTest("no harness/report.cpp")
        with open(src) as f:
            names = re.findall(r'^\s*\{"([a-z0-9_]+)", \[\]', f.read(), re.M)
        start = names.index(NET_COLUMNS[0])
        self.assertEqual(names[start:start + len(NET_COLUMNS)], NET_COLUMNS)

    def test_exit_zero(self):
        self.assertEqual(self.result.returncode, 0, self.result.stderr)

    def test_latency_vs_rtt_chart(self):
        with open(os.path.join(self.run_dir, "latency_vs_rtt.png"), "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        with open(os.path.join(self.run_dir, "latency_vs_rtt.svg")) as f:
            svg = f.read()
        self.assertIn("Latency vs round-trip time", svg)
        self.assertIn("sse (rtt=100ms jitter=10ms)", svg)  # a profile with jitter is not on the RTT line
        self.assertIn("![latency_vs_rtt](latency_vs_rtt.png)", self.md)
        self.assertIn('alt="latency_vs_rtt"', self.page)
        self.assertFalse(os.path.exists(os.path.join(self.run_dir, "latency_vs_rtt_2.png")))

    def test_one_spectrum_chart_per_profile(self):
        for net, _, _ in self.NETS:
            name = "latency_spectrum_push_c2_r20_p16" + ("" if net == "none" else f"_net-{spectrum_slug(net)}")
            self.assertTrue(os.path.isfile(os.path.join(self.run_dir, name + ".png")), name)
            self.assertIn(f"![{name}]({name}.png)", self.md)

    def test_report_table_keeps_profiles_apart(self):
        self.assertIn("| transport | scenario | clients | rate/s | payload B | net |", self.md)
        self.assertIn("| relay bound |", self.md)
        for t in ("sse", "websocket"):
            for net, _, _ in self.NETS:
                self.assertIn(f"| {t} | push | 2 | 20 | 16 | {net} |", self.md)
                self.assertIn(f"<td>{net}</td>", self.page)

    def test_charts_label_profiles(self):
        with open(os.path.join(self.run_dir, "traffic_vs_clients.svg")) as f:
            svg = f.read()
        for net, _, _ in self.NETS:
            self.assertIn(f"websocket ({net})", svg)

    def test_relay_bound_is_said_in_words(self):
        self.assertIn("websocket push clients=2 rate=20 payload=16 net=rtt=100ms: the network relay was the bottleneck",
                      self.md)
        self.assertEqual(self.md.count("the network relay was the bottleneck"), 1)
        self.assertIn("the network relay was the bottleneck", self.page)


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


class ExternalTarget(unittest.TestCase):
    def test_a_target_without_its_process_has_no_server_figures(self):
        """Results format 8: an external target's server columns are empty;
        the report says so with a dash and draws no server chart for it."""
        tmp = tempfile.mkdtemp()
        try:
            with open(os.path.join(SAMPLE, "results.csv")) as f:
                lines = f.read().splitlines()
            head = lines[0].split(",") + ["target"]
            cells = lines[1].split(",") + ["ws://127.0.0.1:8765/echo"]
            for c in ("server_cpu_us_per_msg", "server_cpu_util", "server_rss_bytes", "server_rss_peak_bytes",
                      "server_rss_bytes_per_conn", "server_rss_window_start_bytes", "slow_consumers", "bad_requests"):
                if c in head:
                    cells[head.index(c)] = ""
            with open(os.path.join(tmp, "results.csv"), "w") as f:
                f.write(",".join(head) + "\n" + ",".join(cells) + "\n")
            result = plot(tmp)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertFalse(os.path.exists(os.path.join(tmp, "server_cpu.png")))
            self.assertFalse(os.path.exists(os.path.join(tmp, "memory_per_connection.png")))
            with open(os.path.join(tmp, "report.md")) as f:
                md = f.read()
            row = [l for l in md.splitlines() if l.startswith("| " + cells[0] + " ")][0]
            self.assertIn("| – |", row)
        finally:
            shutil.rmtree(tmp)


if __name__ == "__main__":
    unittest.main(verbosity=2)
