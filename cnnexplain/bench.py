"""`python -m cnnexplain.bench` runs the speed figures, which live in `tools/bench.py`.

The benchmarks are not part of the library; from a checkout of the project this entry point
hands over to them.
"""

import runpy

if __name__ == "__main__":
    runpy.run_module("tools.bench", run_name="__main__", alter_sys=True)
