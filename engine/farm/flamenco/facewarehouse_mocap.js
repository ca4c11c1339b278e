// Flamenco job type "facewarehouse-mocap": runs a FaceWarehouse Mocap farm plan (track clips into takes, bake
// takes onto a rig) as Flamenco tasks.
//
// Install: copy this file into the `scripts` folder next to the `flamenco-manager` executable (create the folder)
// and restart the Manager. Flamenco names a job type after its file, underscores turned into dashes:
// `facewarehouse_mocap.js` -> `facewarehouse-mocap`. Submit jobs with
//
//     .venv/bin/python -m engine farm flamenco CLIPS... --takes DIR [--rig RIG.blend] --manager http://MANAGER:8080
//
// which plans the work on the submitting machine (skipping takes that are already there) and sends the plan as the
// hidden `plan` setting. Each plan task becomes one Flamenco task of type "misc" (in every Worker's default
// `task_types`) with one `exec` command: the plan's command line, run directly (no shell). A bake task depends on
// its take's track task. The Workers need the repository, its `.venv` (and a bpy environment for bakes) and the
// clips at the plan's paths (use --path-map when they mount storage elsewhere).
//
// Runs in Flamenco Manager's JavaScript VM (strict mode; globals `author`, `print`).

const PLAN_SCHEMA = "facewarehouse-mocap-farm-plan/1"; // engine/farm/plan.py PLAN_SCHEMA
const TASK_TYPE = "misc";

const JOB_TYPE = {
    label: "FaceWarehouse Mocap",
    description: "Track face clips into takes and bake them onto a rig, from a plan made by `python -m engine farm flamenco`",
    settings: [
        { key: "plan", type: "string", required: true, visible: "hidden",
          description: "The farm plan (JSON), written by python -m engine farm flamenco" },
        { key: "takes_dir", type: "string", subtype: "dir_path", visible: "web",
          description: "Where the takes are written" },
    ],
};

function compileJob(job) {
    const plan = parsePlan(job.settings.plan);
    const authored = {};
    for (const planned of plan.tasks) {
        const task = author.Task(planned.name, TASK_TYPE);
        task.addCommand(author.Command("exec", {
            exe: planned.argv[0],
            args: planned.argv.slice(1),
        }));
        for (const dependency of planned.depends_on) {
            if (!Object.prototype.hasOwnProperty.call(authored, dependency)) {
                throw `facewarehouse-mocap: task "${planned.name}" depends on "${dependency}", which does not come before it in the plan`;
            }
            task.addDependency(authored[dependency]);
        }
        authored[planned.name] = task;
        job.addTask(task);
    }
    print(`facewarehouse-mocap: ${plan.tasks.length} tasks`);
}

function parsePlan(text) {
    if (!text) {
        throw "facewarehouse-mocap: the job has no plan (submit it with python -m engine farm flamenco)";
    }
    let plan;
    try {
        plan = JSON.parse(text);
    } catch (err) {
        throw `facewarehouse-mocap: the plan is not JSON (${err})`;
    }
    if (plan.schema !== PLAN_SCHEMA) {
        throw `facewarehouse-mocap: plan format "${plan.schema}", this job type reads "${PLAN_SCHEMA}": install the job type from the same checkout as the engine`;
    }
    if (!Array.isArray(plan.tasks) || plan.tasks.length === 0) {
        throw "facewarehouse-mocap: the plan has no tasks";
    }
    const names = {};
    for (const task of plan.tasks) {
        const argvOk = Array.isArray(task.argv) && task.argv.length > 0 && task.argv.every((a) => typeof a === "string");
        if (typeof task.name !== "string" || !task.name || !argvOk || !Array.isArray(task.depends_on)) {
            throw `facewarehouse-mocap: malformed plan task ${JSON.stringify(task)}`;
        }
        if (Object.prototype.hasOwnProperty.call(names, task.name)) {
            throw `facewarehouse-mocap: two plan tasks are named "${task.name}"`;
        }
        names[task.name] = true;
    }
    return plan;
}
