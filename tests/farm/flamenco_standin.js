// A small stand-in of Flamenco Manager's job compiler runtime, to run a job type script under Node.
//
// What it mirrors (Flamenco 3, internal/manager/job_compilers): the script is compiled in strict mode; the globals
// are `author` (Task, Command), `print` and `alert`; `JOB_TYPE` and `compileJob(job)` are read from the script's
// global scope; Go field names are seen lower-cased (Goja's UncapFieldNameMapper): job.settings, job.addTask,
// task.addCommand, task.addDependency. author.Task(name, type) rejects an empty name or type, as author.go does.
// A `throw` in compileJob is a compile error (the Manager refuses the job).
//
// Usage: node flamenco_standin.js JOB_TYPE_SCRIPT.js SUBMITTED_JOB.json
// Prints one JSON object: {"job_type": JOB_TYPE, "tasks": [{"name", "type", "commands": [{"name", "parameters"}],
// "dependencies": [task names]}], "log": [printed lines]}, or {"error": message} with exit status 1.
"use strict";

const fs = require("fs");
const vm = require("vm");

function authorTask(name, type) {
    name = String(name).trim();
    type = String(type).trim();
    if (name === "") throw new Error("author.Task(name, type): name is required");
    if (type === "") throw new Error("author.Task(name, type): type is required");
    return {
        name,
        type,
        priority: 50,
        commands: [],
        dependencies: [],
        addCommand(command) { this.commands.push(command); },
        addDependency(task) { this.dependencies.push(task); },
    };
}

function authorCommand(name, parameters, totalStepCount) {
    return { name, parameters, totalStepCount: totalStepCount || 0 };
}

function main() {
    const [scriptPath, jobPath] = process.argv.slice(2);
    const submitted = JSON.parse(fs.readFileSync(jobPath, "utf8"));
    const log = [];
    const job = {
        name: submitted.name,
        type: submitted.type,
        priority: submitted.priority,
        settings: Object.assign({}, submitted.settings),
        metadata: Object.assign({}, submitted.metadata),
        tasks: [],
        addTask(task) { this.tasks.push(task); },
    };
    const context = vm.createContext({
        author: { Task: authorTask, Command: authorCommand },
        print: (...args) => log.push(args.map(String).join(" ")),
        alert: (...args) => log.push("ALERT " + args.map(String).join(" ")),
    });
    vm.runInContext('"use strict";\n' + fs.readFileSync(scriptPath, "utf8"), context, { filename: scriptPath });
    const jobType = vm.runInContext("JOB_TYPE", context);
    const compileJob = vm.runInContext("compileJob", context);
    compileJob(job);
    const tasks = job.tasks.map((t) => ({
        name: t.name,
        type: t.type,
        commands: t.commands.map((c) => ({ name: c.name, parameters: c.parameters })),
        dependencies: t.dependencies.map((d) => d.name),
    }));
    process.stdout.write(JSON.stringify({ job_type: jobType, tasks, log }) + "\n");
}

try {
    main();
} catch (err) {
    process.stdout.write(JSON.stringify({ error: String(err && err.message !== undefined ? err.message : err) }) + "\n");
    process.exit(1);
}
