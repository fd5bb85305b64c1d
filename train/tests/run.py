"""Runs every Python test (unittest discovery; pytest is not available on Debian's base image)
and writes reports/python.json with the counts scripts/test-summary.mjs adds up.

    /usr/bin/python3 -m train.tests.run
"""
import json
import os
import sys
import unittest


def main() -> int:
    suite = unittest.defaultTestLoader.discover("train/tests", top_level_dir=".")
    result = unittest.TextTestRunner(verbosity=1).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    counts = {"passed": result.testsRun - failed - skipped, "failed": failed, "skipped": skipped}
    os.makedirs("reports", exist_ok=True)
    with open("reports/python.json", "w", encoding="utf-8") as f:
        json.dump(counts, f)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
