"""Building the face model from ICT-FaceKit (``python -m engine build-model --ict DIR``).

:mod:`engine.face_model` is the model itself and what it is made of (the scans' loader, the renderer, the landmark
correspondence, the 46 recipes, the demo head); :mod:`engine.fitting` fits it. This package sits above both: the
build measures the landmark detector's drift with head yaw on renders of the scanned head through the fitter's own
alignment (:mod:`.yaw_drift`), so the fitter and the measurement share one definition of the head pose. The
detector's response to each expression (:mod:`.detector_response`) is measured the same way, as a diagnostic for
the recovery benchmark (``bench_expression_recovery.py --gains``), not by the build.
"""
