"""Deadline, Tractor and OpenCue files against expected text, and path quoting through each format.

Deadline and Tractor have no server to test against here, so their files are compared with golden
text written out below (a changed command line fails these tests). The quoting tests decode what
each farm would run: Deadline's line with the Windows/.NET splitting rules, the Tractor script
with a real Tcl interpreter (tkinter's), the OpenCue command with POSIX shell rules.
"""

from __future__ import annotations

import json
import shlex
import tkinter
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ghost_core.cli import main
from ghost_core.farm import deadline, opencue, tractor
from ghost_core.farm.model import FarmJob, Placement
from ghost_core.io.sequence import parse_frame_spec
from tests.shots import ASSETS

JOB = Path("/shows/abc/sh 010/job.json")
NASTY = [
    "/shows/a b/jöb ñ.json",
    '/x/say "hi"/job.json',
    "/x/{open/job.json",
    "/x/close}/$HOME/[pwd]/job.json",
    "C:\\jobs\\trailing\\",
    'back\\"slash',
    "tab\tand;semi",
    "",
]


def _job(frames: str, **extra: object) -> FarmJob:
    placement = Placement(pool="gpu", group="rtx4090", service="ghostswap_gpu", tags=("gpu",), gpus=1)
    return FarmJob(JOB, "sh010 comp", tuple(parse_frame_spec(frames)), placement=placement, **extra)


def test_deadline_job_files_match_the_expected_text() -> None:
    files = deadline.build(_job("1001-1019x2", chunk_size=4, retries=2, priority=70))
    assert list(files) == ["track.job", "track.plugin", "render.job", "render.plugin"]
    assert files["track.job"] == (
        "Plugin=CommandLine\n"
        "Name=GhostSwap sh010_comp track\n"
        "BatchName=GhostSwap sh010_comp\n"
        "Frames=1001\n"
        "ChunkSize=1\n"
        "Priority=70\n"
        "Pool=gpu\n"
        "Group=rtx4090\n"
        "LimitGroups=gpu\n"
        "MachineLimit=0\n"
        "OverrideTaskFailureDetection=True\n"
        "FailureDetectionTaskErrors=3\n"
    )
    assert files["track.plugin"] == (
        "Executable=ghostswap\n"
        "Arguments=track --job <QUOTE>/shows/abc/sh 010/job.json<QUOTE>\n"
        "StartupDirectory=/shows/abc/sh 010\n"
        "ShellExecute=False\n"
    )
    assert files["render.job"].splitlines()[3:5] == ["Frames=1001-1019x2", "ChunkSize=4"]
    assert files["render.plugin"] == (
        "Executable=ghostswap\n"
        "Arguments=render --job <QUOTE>/shows/abc/sh 010/job.json<QUOTE> --frames <STARTFRAME>-<ENDFRAME>x2\n"
        "StartupDirectory=/shows/abc/sh 010\n"
        "ShellExecute=False\n"
    )
    jobs = ["-job", "/out/track.job", "/out/track.plugin", "-job", "/out/render.job", "/out/render.plugin"]
    assert deadline.submit_commands(_job("1001-1019x2"), Path("/out")) == [
        ["deadlinecommand", "-SubmitMultipleJobs", "-dependent", *jobs]
    ]


def test_deadline_splits_a_frame_list_with_gaps_into_one_render_job_per_segment() -> None:
    files = deadline.build(_job("1001-1010,1020-1030x5"))
    renders = [f"render-{i}.{ext}" for i in (1, 2) for ext in ("job", "plugin")]
    assert list(files) == ["track.job", "track.plugin", *renders]
    assert "Frames=1020-1030x5\n" in files["render-2.job"]
    assert files["render-1.plugin"].splitlines()[1].endswith("--frames <STARTFRAME>-<ENDFRAME>")
    assert files["render-2.plugin"].splitlines()[1].endswith("--frames <STARTFRAME>-<ENDFRAME>x5")


def _windows_split(line: str) -> list[str]:
    """Split a command line the way CommandLineToArgvW / the MS C runtime do (2008+ rules)."""
    args: list[str] = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i] in " \t":
            i += 1
        if i >= n:
            return args
        word: list[str] = []
        quoted = False
        while i < n and (quoted or line[i] not in " \t"):
            if line[i] == "\\":
                j = i
                while j < n and line[j] == "\\":
                    j += 1
                count = j - i
                if j < n and line[j] == '"':
                    word.append("\\" * (count // 2))
                    i = j + 1 if count % 2 else j
                    if count % 2:
                        word.append('"')
                else:
                    word.append("\\" * count)
                    i = j
            elif line[i] == '"':
                if quoted and i + 1 < n and line[i + 1] == '"':
                    word.append('"')
                    i += 2
                else:
                    quoted = not quoted
                    i += 1
            else:
                word.append(line[i])
                i += 1
        args.append("".join(word))


@pytest.mark.parametrize("path", NASTY)
def test_deadline_arguments_survive_paths_with_spaces_quotes_and_non_ascii(path: str) -> None:
    argv = ["render", "--job", path, "--frames", "1001-1010"]
    line = deadline.arguments_line(argv).replace(deadline.QUOTE, '"')
    assert _windows_split(line) == argv


def test_tractor_script_matches_the_expected_text() -> None:
    text = tractor.script(_job("1001-1005", chunk_size=2, retries=1, priority=60))
    cmd = "ghostswap render --job {/shows/abc/sh 010/job.json} --frames"
    opts = "-service ghostswap_gpu -tags gpu -retryrc {1 5 6}"
    assert text == (
        "##AlfredToDo 3.0\n"
        "Job -title {GhostSwap sh010 comp} -priority 60 -service ghostswap_gpu -serialsubtasks 1 "
        "-subtasks {\n"
        "    Task {track} -cmds {\n"
        f"        RemoteCmd {{ghostswap track --job {{/shows/abc/sh 010/job.json}}}} {opts}\n"
        "    }\n"
        "    Task {render} -subtasks {\n"
        "        Task {render 1001-1002} -cmds {\n"
        f"            RemoteCmd {{{cmd} 1001-1002}} {opts}\n"
        "        }\n"
        "        Task {render 1003-1004} -cmds {\n"
        f"            RemoteCmd {{{cmd} 1003-1004}} {opts}\n"
        "        }\n"
        "        Task {render 1005} -cmds {\n"
        f"            RemoteCmd {{{cmd} 1005}} {opts}\n"
        "        }\n"
        "    }\n"
        "}\n"
    )
    assert "-retryrc" not in tractor.script(_job("1001-1005", retries=0))


# Tcl stand-ins for Tractor's operators that record the tree instead of spooling it.
_TCL_RECORDER = r"""
set ::log {}
proc Job {args} {
    array set o $args
    lappend ::log [list job $o(-title) $o(-serialsubtasks)]
    eval $o(-subtasks)
}
proc Task {title args} {
    array set o $args
    lappend ::log [list task $title]
    if {[info exists o(-subtasks)]} { eval $o(-subtasks) }
    if {[info exists o(-cmds)]} { eval $o(-cmds) }
}
proc RemoteCmd {launch args} { array set o $args; lappend ::log [list cmd $launch $o(-service)] }
"""


def _tcl_run(script: str) -> list[list[str]]:
    tcl = tkinter.Tcl()
    tcl.eval(_TCL_RECORDER)
    tcl.eval(script.split("\n", 1)[1])  # the first line is the `##AlfredToDo` comment
    log = tcl.eval("set ::log")
    return [list(tcl.splitlist(entry)) for entry in tcl.splitlist(log)]


def test_tractor_script_parses_in_tcl_with_track_before_every_render_chunk() -> None:
    job = _job("1001-1010x3", chunk_size=2)
    log = _tcl_run(tractor.script(job))
    assert log[0] == ["job", "GhostSwap sh010 comp", "1"]  # serial: track, then the render task
    assert log[1] == ["task", "track"] and log[3] == ["task", "render"]
    chunk_tasks = [entry[1] for entry in log if entry[0] == "task"][2:]
    assert chunk_tasks == ["render 1001-1004x3", "render 1007-1010x3"]


@pytest.mark.parametrize("path", NASTY)
def test_tractor_command_argv_survives_tcl_quoting(path: str) -> None:
    job = FarmJob(Path(path), "we{ird ñame", (1, 2, 3), chunk_size=2, executable=("/opt/gs bin/ghostswap",))
    tcl = tkinter.Tcl()
    commands = [entry for entry in _tcl_run(tractor.script(job)) if entry[0] == "cmd"]
    argvs = [list(tcl.splitlist(launch)) for _, launch, _ in commands]
    assert argvs == [job.track_argv(), job.render_argv("1-2"), job.render_argv("3")]
    assert _tcl_run(tractor.script(job))[0][1] == "GhostSwap we{ird ñame"


def test_opencue_spec_serialises_through_pyoutline_without_a_cuebot() -> None:
    job = _job("1001-1019x2", chunk_size=4, retries=3, priority=65)
    job = FarmJob(
        Path(NASTY[0]), job.name, job.frames, 4, 3, 65,
        Placement(service="ghostswap_gpu", tags=("gpu", "cuda12"), gpus=1, gpu_memory_gib=12, memory_gib=16),
    )  # fmt: skip
    root = ET.fromstring(opencue.spec_xml(job))
    assert root.findtext("show") == "testing" and root.findtext("shot") == "sh010_comp"
    spec = root.find("job")
    assert spec is not None and spec.get("name") == "sh010_comp"
    assert spec.findtext("priority") == "65" and spec.findtext("maxretries") == "3"
    layers = {layer.get("name"): layer for layer in spec.iter("layer")}
    assert list(layers) == ["track", "render"]
    track, render = layers["track"], layers["render"]
    assert track.findtext("range") == "1001" and track.findtext("chunk") == "1"
    assert render.findtext("range") == "1001-1019x2" and render.findtext("chunk") == "4"
    assert shlex.split(track.findtext("cmd") or "") == job.track_argv()
    assert shlex.split(render.findtext("cmd") or "") == job.render_argv("#FRAMESPEC#")
    for layer in (track, render):
        assert layer.findtext("services/service") == "ghostswap_gpu"
        assert layer.findtext("tags") == "gpu | cuda12"
        assert layer.findtext("gpus") == "1" and layer.findtext("gpu_memory") == "12g"
        assert layer.findtext("memory") == "16g"
    depend = root.find("depends/depend")
    assert depend is not None and depend.get("type") == "LAYER_ON_LAYER"
    assert (depend.findtext("deplayer"), depend.findtext("onlayer")) == ("render", "track")


@pytest.mark.parametrize("path", NASTY[:4])
def test_opencue_command_is_one_posix_quoted_line(path: str) -> None:
    job = FarmJob(Path(path), "q", (1, 2), executable=("/opt/gs bin/ghostswap",))
    cmds = [layer.findtext("cmd") or "" for layer in ET.fromstring(opencue.spec_xml(job)).iter("layer")]
    assert [shlex.split(c) for c in cmds] == [job.track_argv(), job.render_argv("#FRAMESPEC#")]


def test_farm_submit_writes_every_managers_files_and_prints_how_to_submit(
    short_plate: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "shot dir"
    folder.mkdir()
    job = folder / "jöb.json"
    data = {"schema": "ghostswap.job", "version": 1, "plate": short_plate, "output": "out/swap.####.exr"}
    job.write_text(json.dumps({**data, "sources": [str(ASSETS / "faces" / "elon_musk.jpg")]}))
    expected = {
        "openjd": ["template.json", "parameter_values.json"],
        "deadline": ["track.job", "track.plugin", "render.job", "render.plugin"],
        "opencue": ["job.xml"],
        "tractor": ["job.alf"],
    }
    for manager, names in expected.items():
        out = tmp_path / "submit" / manager
        argv = ["--json", "farm", "submit", "--job", str(job), "--manager", manager, "--out", str(out)]
        assert main([*argv, "--chunk", "3", "--gpus", "2"]) == 0
        summary = json.loads(capsys.readouterr().out)
        assert summary["files"] == [str(out / n) for n in names]
        assert summary["chunks"] == ["1001-1003", "1004"]
        assert all((out / n).is_file() for n in names)
        assert not [p for p in out.iterdir() if p.name.startswith(".")], "no temporary files left"
        assert str(out) in summary["submit"][0]
    template = json.loads((tmp_path / "submit" / "openjd" / "template.json").read_text())
    assert template["steps"][0]["hostRequirements"]["amounts"] == [{"name": "amount.worker.gpu", "min": 2}]
    values = json.loads((tmp_path / "submit" / "openjd" / "parameter_values.json").read_text())
    assert values == {"parameterValues": [{"name": "JobFile", "value": str(job)}]}
    bad = ["farm", "submit", "--job", str(job), "--manager", "tractor", "--out", str(tmp_path / "x")]
    assert main([*bad, "--priority", "200"]) == 2
