"""The contract between the engine and the Blender add-on, written once and imported by both.

Standard library and numpy only (numpy 1.26 and 2.x): no scipy, no bpy, nothing else of the engine. The engine
imports it as ``engine.contract``; ``build_addon.py`` copies this folder into the add-on zip as the subpackage
``contract/``, and the add-on reaches it through ``blender_addon/_contract.py`` (the vendored copy inside the
extension, else this folder in a repository checkout). Importing this package imports none of its modules.

- :mod:`.take`, :mod:`.take_validation`, :mod:`.take_io`: the take file (schema, validation, reading / writing).
- :mod:`.npz_archive`, :mod:`.take_limits`: bounded reading of untrusted archives; the bounds every reader uses.
- :mod:`.partial_take`: a take being written block by block (survives a kill; resumable).
- :mod:`.output_guard`: outputs checked before any work; nothing the tool did not write is overwritten.
- :mod:`.frames`, :mod:`.quaternion`, :mod:`.gaze`: frame conventions, quaternion math, gaze <-> eye-look weights.
- :mod:`.face_head`: the demo head file (the scanned head with the 46 expressions) the add-on builds its rig from.
- :mod:`.livelink_csv`: the Live Link Face CSV codec.
- :mod:`.one_euro`, :mod:`.gap_bridging`, :mod:`.key_reduction`: the temporal filter, gap bridging, key reduction.
- :mod:`.progress_events`: the JSON-lines progress protocol of ``python -m engine track --progress jsonl`` and
  of a served engine; :mod:`.engine_requests`: the requests a served engine (``python -m engine serve``) reads.
- :mod:`.atomic_write`, :mod:`.errors`, :mod:`.version`: one atomic-write helper, one user-error base class, the
  project version.
"""
