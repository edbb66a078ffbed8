"""`python -m benchmarks`: see benchmarks/runner.py and benchmarks/RESULTS.md."""
import sys

from benchmarks.runner import main

sys.exit(main())
