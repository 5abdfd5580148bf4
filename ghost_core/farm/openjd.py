"""The canonical farm description: an Open Job Description template (jobtemplate-2023-09).

Open Job Description is an open spec (AWS Deadline Cloud runs it natively) and `openjd run`
executes a template locally, so this is the one template the tests run end to end. Two steps:
`Track` over the whole shot, then `Render`, which depends on it and is cut into chunks by the
TASK_CHUNKING extension (a `CHUNK[INT]` task parameter).

Choices, both checked with openjd-cli 0.8.0:

* `rangeConstraint: NONCONTIGUOUS`. With CONTIGUOUS a stepped range (`1001-1100:2`) gives one
  frame per task; NONCONTIGUOUS keeps the chunk size and hands each task a range expression such
  as `1001-1019:2` or `1004,1005`, which `ghostswap render --frames` reads as it is.
* Host requirements are literal numbers. Format strings there (`{{Param.GPUs}}`) need the
  FEATURE_BUNDLE_1 extension, which not every farm accepts; regenerate the template to change them.

The job file, frames, chunk size and the ghostswap command are job parameters, so one template
can be resubmitted for another frame range without regenerating it. Frames use the Open Job
Description syntax: `1001-1100`, `1001-1100:2`, `1001,1005`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ghost_core.farm.model import FarmJob

SPEC_VERSION = "jobtemplate-2023-09"
TEMPLATE_NAME = "template.json"  # what `deadline bundle submit DIR` looks for in a job bundle
VALUES_NAME = "parameter_values.json"
_MIB_PER_GIB = 1024


def _host_requirements(job: FarmJob) -> dict[str, Any] | None:
    p = job.placement
    amounts: list[dict[str, Any]] = []
    if p.gpus > 0:
        amounts.append({"name": "amount.worker.gpu", "min": p.gpus})
    if p.gpu_memory_gib:
        amounts.append({"name": "amount.worker.gpu.memory", "min": round(p.gpu_memory_gib * _MIB_PER_GIB)})
    if p.memory_gib:
        amounts.append({"name": "amount.worker.memory", "min": round(p.memory_gib * _MIB_PER_GIB)})
    if p.cores:
        amounts.append({"name": "amount.worker.vcpu", "min": p.cores})
    return {"amounts": amounts} if amounts else None


def _step(job: FarmJob, name: str, args: list[str]) -> dict[str, Any]:
    step: dict[str, Any] = {
        "name": name,
        "script": {"actions": {"onRun": {"command": "{{Param.GhostSwap}}", "args": args}}},
    }
    host = _host_requirements(job)
    if host:
        step["hostRequirements"] = host
    return step


def template(job: FarmJob) -> dict[str, Any]:
    """The job template as a dictionary.

    `JobFile` is a PATH parameter (so a farm's path-mapping rules apply to it) without a default:
    Open Job Description only allows defaults inside the template's folder. Its value travels in
    `parameter_values.json` (a Deadline Cloud job bundle) or `-p JobFile=...` (`openjd run`).
    """
    prefix = list(job.executable[1:])
    track = _step(job, "Track", [*prefix, "track", "--job", "{{Param.JobFile}}"])
    render = _step(
        job,
        "Render",
        [*prefix, "render", "--job", "{{Param.JobFile}}", "--frames", "{{Task.Param.Frame}}"],
    )
    render["dependencies"] = [{"dependsOn": "Track"}]
    render["parameterSpace"] = {
        "taskParameterDefinitions": [
            {
                "name": "Frame",
                "type": "CHUNK[INT]",
                "range": "{{Param.Frames}}",
                "chunks": {"defaultTaskCount": "{{Param.ChunkSize}}", "rangeConstraint": "NONCONTIGUOUS"},
            }
        ]
    }
    return {
        "specificationVersion": SPEC_VERSION,
        "extensions": ["TASK_CHUNKING"],
        "name": f"GhostSwap {job.safe_name}",
        "parameterDefinitions": [
            {
                "name": "JobFile",
                "type": "PATH",
                "objectType": "FILE",
                "description": "The GhostSwap job file (JSON) this shot renders.",
            },
            {
                "name": "Frames",
                "type": "STRING",
                "default": job.openjd_range,
                "description": "Frames to render: 1001-1100, 1001-1100:2 or 1001,1005.",
            },
            {
                "name": "ChunkSize",
                "type": "INT",
                "default": job.chunk_size,
                "minValue": 1,
                "description": "Frames per render task (the models load once per task).",
            },
            {
                "name": "GhostSwap",
                "type": "STRING",
                "default": job.executable[0],
                "description": "The ghostswap command on the workers.",
            },
        ],
        "steps": [track, render],
    }


def _json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def template_text(job: FarmJob) -> str:
    return _json(template(job))


def build(job: FarmJob) -> dict[str, str]:
    """Files to write (name -> text): a Deadline Cloud job bundle, also runnable with `openjd run`."""
    values = {"parameterValues": [{"name": "JobFile", "value": str(job.job_file)}]}
    return {TEMPLATE_NAME: template_text(job), VALUES_NAME: _json(values)}


def _job_param(job_file: Path) -> str:
    """`-p`'s value: `JobFile=PATH`, or inline JSON when the path holds a line break.

    openjd reads `KEY=VALUE` one line at a time, so a newline in a folder name would make it
    refuse the whole parameter; JSON escapes it.
    """
    if "\n" in str(job_file) or "\r" in str(job_file):
        return json.dumps({"JobFile": str(job_file)}, ensure_ascii=False)
    return f"JobFile={job_file}"


def submit_commands(job: FarmJob, out_dir: Path) -> list[list[str]]:
    """Run locally with openjd-cli, or submit the bundle to AWS Deadline Cloud."""
    path = str(Path(out_dir) / TEMPLATE_NAME)
    return [
        ["openjd", "run", path, "--step", "Render", "--run-dependencies", "-p", _job_param(job.job_file)],
        ["deadline", "bundle", "submit", str(out_dir)],
    ]
