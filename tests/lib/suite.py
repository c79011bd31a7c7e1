"""Runs the unittest modules of one test directory and prints a SUITE-RESULT line for tests/run."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main():
    directory = sys.argv[1]
    pattern = sys.argv[2] if len(sys.argv) > 2 else "test_*.py"
    suite = unittest.defaultTestLoader.discover(directory, pattern=pattern,
                                                top_level_dir=directory)
    result = unittest.TextTestRunner(verbosity=int(os.environ.get("TEST_VERBOSITY", "1")),
                                     stream=sys.stdout).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    # A setUpClass that fails or skips is reported once, for no test run (an _ErrorHolder).
    def ran(pairs):
        return sum(1 for test, _ in pairs if not isinstance(test, unittest.suite._ErrorHolder))
    passed = result.testsRun - (failed - len(result.errors) + ran(result.errors)) - ran(result.skipped)
    print("SUITE-RESULT passed=%d failed=%d skipped=%d" % (passed, failed, len(result.skipped)))
    sys.exit(0 if failed == 0 else 1)


if __name__ == "__main__":
    main()
