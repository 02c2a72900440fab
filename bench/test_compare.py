#!/usr/bin/python3
"""Known-answer tests for bench/compare.py."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare  # noqa: E402


def write(tmp, name, benchmarks):
    p = os.path.join(tmp, name)
    with open(p, "w") as f:
        json.dump({"context": {}, "benchmarks": benchmarks}, f)
    return p


class Compare(unittest.TestCase):
    def test_known_changes(self):
        with tempfile.TemporaryDirectory() as tmp:
            a = write(tmp, "a.json", [
                {"name": "BM_X/64", "cpu_time": 100.0, "real_time": 999.0, "time_unit": "ns"},
                {"name": "BM_Y/64/real_time", "cpu_time": 1.0, "real_time": 2.0, "time_unit": "us"},
                {"name": "BM_Gone", "cpu_time": 1.0, "real_time": 1.0, "time_unit": "ns"}])
            b = write(tmp, "b.json", [
                {"name": "BM_X/64", "cpu_time": 50.0, "real_time": 1.0, "time_unit": "ns"},
                {"name": "BM_Y/64/real_time", "cpu_time": 9.0, "real_time": 3.0, "time_unit": "us"}])
            rows = {r[0]: r for r in compare.compare(compare.load(a), compare.load(b))}
            self.assertAlmostEqual(rows["BM_X/64"][3], -50.0)          # CPU time halved
            self.assertAlmostEqual(rows["BM_Y/64/real_time"][1], 2000.0)  # real time, us -> ns
            self.assertAlmostEqual(rows["BM_Y/64/real_time"][3], 50.0)
            out = subprocess.run([sys.executable, os.path.join(HERE, "compare.py"), a, b],
                                 capture_output=True, text=True)
            self.assertEqual(out.returncode, 0)
            self.assertIn("in one file only: BM_Gone", out.stdout)

    def test_bad_file_exit_2(self):
        out = subprocess.run([sys.executable, os.path.join(HERE, "compare.py"), "/nonexistent", "/nonexistent"],
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 2)


if __name__ == "__main__":
    unittest.main()
