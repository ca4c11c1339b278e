"""Farm scale: track and bake many takes on the schedulers studios already run.

One plan, three schedulers. :mod:`.plan` turns clips (files, folders, globs), a takes folder, tracking options and
optionally a rig into a list of :class:`~.plan.FarmTask`: one *track* task per clip whose take is not already there
and valid, then one *bake* task per take that depends on it. Every task is a plain command line of the existing
CLIs (``python -m engine track ...``, ``python -m blender_addon.batch ...``) started through :mod:`.launch`, so it
runs in its own process and environment (MediaPipe and bpy keep their own pins) and needs neither a working folder
nor environment variables. Paths are absolute; :mod:`.paths` maps them for farms that mount storage elsewhere.

- :mod:`.dask_run`: submits the plan to a Dask scheduler (or a local cluster), shows progress, reports outcomes;
  :mod:`.task_process` is the stdlib-only function the Dask workers run (shipped by value: workers need only
  ``distributed``).
- :mod:`.openjd_template`: writes an Open Job Description job template (Track step over the clips, Bake step
  after it) for ``openjd run`` and AWS Deadline Cloud.
- :mod:`.flamenco_submit`: submits the plan to a Flamenco Manager; ``flamenco/facewarehouse_mocap.js`` is the
  job type that compiles it into Flamenco tasks.
- :mod:`.cli`: ``python -m engine farm {plan,run,openjd,flamenco}``.

Nothing here imports bpy, MediaPipe or Dask at import time; Dask is imported when a plan is run on it.
"""
