"""``python -m engine``: see :mod:`engine.cli`.

The engine process does its linear algebra on many small systems (46 x 46 per frame, in batches) beside
MediaPipe's own threads: one BLAS thread is fastest there (a thread pool per tiny solve costs more than it saves on a
2-core machine), so the process asks for it before numpy loads, unless the user chose otherwise.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from engine.cli import main  # noqa: E402 (the BLAS setting must come before numpy is imported)

if __name__ == "__main__":
    raise SystemExit(main())
