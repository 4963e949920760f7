"""`make bench`: run every bench/bench_*.py in turn. Each compares side by side in one run."""

import runpy
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # as running a script directly does: bench/onecore
for script in sorted(Path(__file__).parent.glob("bench_*.py")):
    print(f"== {script.name}", flush=True)
    sys.argv = [str(script)]
    runpy.run_path(str(script), run_name="__main__")
