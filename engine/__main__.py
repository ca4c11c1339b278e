"""``python -m engine``: see :mod:`engine.cli`.

The engine's process runs OpenBLAS on one thread (unless ``OPENBLAS_NUM_THREADS`` says otherwise), set here,
before numpy loads: the fitter's matrices are small (46 to 146 wide), where OpenBLAS's worker threads cost more in
hand-offs and spinning than they bring, and on a 2-core machine they compete with the landmark detector and the
decoding thread (the fit of a 90-frame clip took half the wall time on one thread).
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from engine.cli import main  # noqa: E402  (numpy must not load before the line above)

if __name__ == "__main__":
    raise SystemExit(main())
