"""MediaPipe's start-up log lines are kept off stderr; every other line still gets there, in order."""

from __future__ import annotations

import os
import threading

import numpy as np

from engine.landmarks.native_log import QuietStartGraph, start_up_lines_filtered

START_UP = (
    b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n"
    b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    b"W0000 00:00:1796077835.684798   15648 inference_feedback_manager.cc:114] Feedback manager requires a model "
    b"with a single signature inference. Disabling support for feedback tensors.\n"
    b"W0000 00:00:1796077835.701841   15648 landmark_projection_calculator.cc:186] Using NORM_RECT without "
    b"IMAGE_DIMENSIONS is only supported for the square ROI. Provide IMAGE_DIMENSIONS or use PROJECTION_MATRIX.\n"
)


class TestStartUpLinesFiltered:
    def test_feature_drops_the_start_up_lines_and_keeps_the_rest_in_order(self, capfd):
        with start_up_lines_filtered():
            lines = START_UP.splitlines(keepends=True)
            os.write(2, lines[0][:20])  # native writes, in pieces, as the C++ side makes them
            os.write(2, lines[0][20:] + lines[1] + b"E0000 something native went wrong\n")
            os.write(2, lines[2] + lines[3] + b"and more\n")
        assert capfd.readouterr().err == "E0000 something native went wrong\nand more\n"

    def test_feature_stderr_is_restored_even_when_the_block_raises(self, capfd):
        try:
            with start_up_lines_filtered():
                os.write(2, b"kept before the error\n")
                raise RuntimeError("boom")
        except RuntimeError:
            pass
        os.write(2, b"after\n")
        assert capfd.readouterr().err == "kept before the error\nafter\n"

    def test_feature_blocks_overlapping_in_two_threads_leave_stderr_restored(self, capfd):
        """Two parts of a clip start their graphs at once: the blocks overlap, neither nested in the other."""
        first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()

        def first() -> None:
            with start_up_lines_filtered():
                first_in.set()
                second_in.wait(10)
                os.write(2, START_UP.splitlines(keepends=True)[0] + b"first\n")
            first_out.set()

        def second() -> None:
            first_in.wait(10)
            with start_up_lines_filtered():
                second_in.set()
                first_out.wait(10)
                os.write(2, START_UP.splitlines(keepends=True)[1] + b"second\n")

        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        os.write(2, b"after\n")
        assert capfd.readouterr().err == "first\nsecond\nafter\n"


class TestQuietStartGraph:
    def test_feature_a_real_face_mesh_starts_quietly(self, capfd):
        """MediaPipe's real Face Mesh: built, primed with a blank frame, reset and closed without a log line."""
        from engine.landmarks.mediapipe_import import import_mediapipe

        mp = import_mediapipe()
        graph = QuietStartGraph(lambda: mp.solutions.face_mesh.FaceMesh(static_image_mode=False, refine_landmarks=True))
        blank = np.zeros((64, 64, 3), np.uint8)
        assert graph.process(blank).multi_face_landmarks is None
        graph.reset()
        assert graph.process(blank).multi_face_landmarks is None
        graph.close()
        assert capfd.readouterr().err == ""
