"""Run a plan on Dask: a running scheduler (``tcp://HOST:8786``) or a local cluster started for the run.

Every task is one ``client.submit`` of :func:`~.task_process.run_farm_task` with ``pure=False`` (running a command
twice is never the same as running it once) and ``retries`` for crashes; a bake receives its track's future, so
Dask starts it when the take is there. Workers that die mid-task are the scheduler's business: it moves their tasks
to other workers (``distributed.scheduler.allowed-failures`` times, 3 by default, then the task fails with
``KilledWorker``).

The function is shipped *by value* (:class:`_ShippedByValue`): a worker needs ``distributed`` of the same version
as the submitter and the task's own Pythons and files at the plan's (mapped) paths, not this repository's code.
Start a cluster, for example::

    dask scheduler --port 8786                                  # on the head node
    dask worker tcp://HEAD:8786 --nthreads 1 --nworkers 4      # on each machine: one task per worker process
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import sys
import uuid
from collections.abc import Callable

from ..errors import InputError, MissingDependency, UserError
from . import task_process
from .plan import FarmPlan

__all__ = ["DaskConfig", "TaskOutcome", "run_plan_on_dask"]

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class DaskConfig:
    """Where and how a plan runs on Dask."""

    scheduler: str | None = None
    """Address of a running scheduler (``tcp://HOST:8786``); None: start a local cluster for this run."""
    workers: int = max(1, os.cpu_count() or 1)
    """Worker processes of the local cluster (one task at a time each); ignored with ``scheduler``."""
    retries: int = 2
    """Extra tries for a task whose process crashed (expected failures, exit status 1 or 2, are not retried)."""
    connect_timeout_s: float = 30.0
    """How long to wait for the scheduler before giving up."""


@dataclasses.dataclass(frozen=True)
class TaskOutcome:
    """What became of one task."""

    name: str
    kind: str
    status: str
    """``ok``, ``failed`` or ``skipped`` (a dependency did not succeed)."""
    message: str = ""
    """Empty when ok; else the task's own error line, or what the scheduler said."""
    seconds: float = 0.0
    """Wall time of the task's process (0 when it did not run)."""
    worker: str = ""
    """Address of the Dask worker that ran it last."""

    def to_dict(self) -> dict:
        """JSON-able form (``--progress jsonl``)."""
        return dataclasses.asdict(self)


class _ShippedByValue:
    """A function pickled by value (cloudpickle) inside an ordinary pickle, so workers need not import its module.

    Unpickling yields the plain function: the worker never sees this class.
    """

    def __init__(self, func: Callable) -> None:
        self._func = func

    def __call__(self, *args, **kwargs):
        return self._func(*args, **kwargs)

    def __reduce__(self):
        import cloudpickle

        module = self._func.__module__
        cloudpickle.register_pickle_by_value(task_process)
        try:
            payload = cloudpickle.dumps(self._func)
        finally:
            cloudpickle.unregister_pickle_by_value(task_process)
        log.debug("shipping %s.%s by value (%d bytes)", module, self._func.__name__, len(payload))
        return cloudpickle.loads, (payload,)


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise MissingDependency("Dask is not installed in this environment: run `bash .ci/setup`") from None
    return distributed


def _address_hint(address: str) -> str:
    """What to do about a scheduler address Dask refused."""
    scheme = address.partition("://")[0].lower() if "://" in address else ""
    if scheme in ("tls", "wss"):
        return (
            " (a TLS scheduler needs this machine's certificates in Dask's configuration: "
            "distributed.comm.tls.ca-file, "
            "distributed.comm.tls.client.cert and .key, e.g. in ~/.config/dask/distributed.yaml)"
        )
    return " (give tcp://HOST:PORT, as the scheduler prints it)"


def _connect(cfg: DaskConfig):
    distributed = _import_distributed()
    if cfg.scheduler:
        try:
            return distributed.Client(cfg.scheduler, timeout=cfg.connect_timeout_s), None
        except (OSError, TimeoutError) as err:
            raise InputError(f"cannot reach the Dask scheduler at {cfg.scheduler}: {err}") from None
        except (ValueError, TypeError) as err:  # Dask's words for an address it cannot use (scheme, TLS set-up)
            raise InputError(
                f"cannot use the Dask scheduler address {cfg.scheduler}: {err}{_address_hint(cfg.scheduler)}"
            ) from None
    # The local workers are in the terminal's process group: a Ctrl-C would reach each of them too and print their
    # tracebacks. Started with SIGINT ignored (a Python started so keeps it ignored), they leave it to this process,
    # which cancels the tasks and closes the cluster.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        cluster = distributed.LocalCluster(
            n_workers=cfg.workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            # No dashboard; the scheduler's HTTP server still starts, and on a busy default port 8787 warned in 4
            # lines ("Port 8787 is already in use"): any free port instead.
            scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
            silence_logs=logging.ERROR,
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    return distributed.Client(cluster), cluster


def _outcome_of(future, task, futures) -> TaskOutcome:
    from distributed.scheduler import KilledWorker

    if future.status == "finished":
        return TaskOutcome(**future.result())
    failed_deps = [d for d in task.depends_on if d in futures and futures[d].status != "finished"]
    if failed_deps:
        return TaskOutcome(task.name, task.kind, "skipped", f"not run: {', '.join(failed_deps)} did not succeed")
    if future.status == "cancelled":
        return TaskOutcome(task.name, task.kind, "failed", "cancelled (the scheduler or its workers went away)")
    err = future.exception()
    if isinstance(err, KilledWorker):
        message = f"the workers running it died too often ({err})"
    else:
        message = str(err).strip() or type(err).__name__
    return TaskOutcome(task.name, task.kind, "failed", message)


def run_plan_on_dask(
    plan: FarmPlan, cfg: DaskConfig = DaskConfig(), *, on_outcome: Callable[[TaskOutcome], None] | None = None
) -> list[TaskOutcome]:
    """Run every task of ``plan`` on Dask and wait for all of them.

    Args:
        plan: from :func:`~.plan.make_plan`.
        cfg: scheduler or local cluster, retries.
        on_outcome: called in the submitting thread as each task ends (progress display).

    Returns:
        One outcome per task, in plan order.

    Raises:
        InputError: the scheduler cannot be reached.
        MissingDependency: Dask is not installed.
    """
    if not plan.tasks:
        return []
    client, cluster = _connect(cfg)
    distributed = _import_distributed()
    if cluster is None and not client.scheduler_info().get("workers"):  # else it would wait without a word
        print(f"farm: the scheduler at {cfg.scheduler} has no workers yet; the tasks wait for some "
              f"(`dask worker {cfg.scheduler}` on each farm machine)", file=sys.stderr, flush=True)  # fmt: skip
    shipped = _ShippedByValue(task_process.run_farm_task)
    futures = {}
    tasks_by_key = {}
    cancel_event = f"facewarehouse-mocap-cancel-{uuid.uuid4().hex}"  # set on an interrupt: running tasks stop
    try:
        for task in plan.tasks:
            deps = [futures[d] for d in task.depends_on if d in futures]
            key = f"{task.name}-{uuid.uuid4().hex[:12]}"
            shipped_task = {**task.to_dict(), "cancel_event": cancel_event}
            futures[task.name] = client.submit(shipped, shipped_task, *deps, key=key, pure=False, retries=cfg.retries)
            tasks_by_key[key] = task
        outcomes: dict[str, TaskOutcome] = {}
        for future in distributed.as_completed(list(futures.values())):
            task = tasks_by_key[future.key]
            outcome = _outcome_of(future, task, futures)
            outcomes[task.name] = outcome
            if on_outcome is not None:
                on_outcome(outcome)
        return [outcomes[t.name] for t in plan.tasks]
    except KeyboardInterrupt:
        try:  # the tasks already running stop their processes (task_process watches this event)
            distributed.Event(cancel_event, client=client).set()
        except Exception:  # the scheduler is gone: nothing more can be told  # noqa: BLE001
            pass
        client.cancel(list(futures.values()), force=True)
        raise
    except (OSError, TimeoutError) as err:
        raise UserError(f"lost the Dask scheduler: {err}") from None
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
