"""The Nuke side of GhostSwap: build the node, bake, farm-bake, keep the result current.

Only this module calls `nuke`. It reads knob values into a plain dict and hands them to the pure
functions in `jobfile` and `runner`; the engine itself runs in its own process (`ghostswap`), so
Nuke never loads torch.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from typing import Any, Dict, Optional

import nuke

from ghostswap_nuke import ghostswap_hostkit as hostkit
from ghostswap_nuke import jobfile, runner, spec
from ghostswap_nuke.jobfile import GhostSwapError

_KNOB_CLASSES_WITHOUT_VALUE = ("Tab_Knob", "PyScript_Knob", "Text_Knob")


def _make_knob(knob: spec.Knob) -> Any:
    cls = getattr(nuke, knob.kind)
    if knob.kind == "Enumeration_Knob":
        made = cls(knob.name, knob.label, list(knob.values))
    elif knob.kind in ("PyScript_Knob", "Text_Knob"):
        made = cls(knob.name, knob.label, str(knob.default))
    else:
        made = cls(knob.name, knob.label)
    if knob.kind not in _KNOB_CLASSES_WITHOUT_VALUE and knob.default is not None:
        made.setValue(knob.default)
    if knob.minimum is not None and knob.maximum is not None:
        made.setRange(knob.minimum, knob.maximum)
    if "invisible" in knob.flags:
        made.setFlag(nuke.INVISIBLE)
    if knob.tooltip:
        made.setTooltip(knob.tooltip)
    return made


def create_node() -> Any:
    """A GhostSwap Group (saved inside the script, so farm Nuke needs no gizmo to read the cache)."""
    group = nuke.createNode("Group", inpanel=False)
    group.setName(spec.NODE_CLASS + "1", uncollide=True)
    for knob in spec.KNOBS:
        group.addKnob(_make_knob(knob))
    root = nuke.root()
    group["frame_first"].setValue(int(root["first_frame"].value()))
    group["frame_last"].setValue(int(root["last_frame"].value()))
    group["knobChanged"].setValue(spec.KNOB_CHANGED)
    group["label"].setValue(spec.NOT_BAKED)
    group.begin()
    try:
        plate = nuke.nodes.Input(name=spec.INPUTS[0])
        source = nuke.nodes.Input(name=spec.INPUTS[1])
        holdout = nuke.nodes.Input(name=spec.INPUTS[2])
        write_holdout = nuke.nodes.Write(name=spec.WRITE_HOLDOUT, file_type="exr", channels="rgba")
        write_holdout.setInput(0, holdout)
        write_source = nuke.nodes.Write(name=spec.WRITE_SOURCE, file_type="exr", channels="rgb")
        write_source.setInput(0, source)
        write_plate = nuke.nodes.Write(name=spec.WRITE_PLATE, file_type="exr", channels="rgba")
        write_plate["datatype"].setValue("16 bit half")
        write_plate["colorspace"].setValue("scene_linear")
        write_plate.setInput(0, plate)
        read = nuke.nodes.Read(name=spec.READ_CACHE, file=spec.READ_TEMPLATE, on_error="black", raw=True)
        shuffle = nuke.nodes.Shuffle(name=spec.SHUFFLE_MATTE)
        shuffle["in"].setValue("rgba")
        shuffle["in2"].setValue("ghost")
        shuffle["alpha"].setValue("red2")
        shuffle.setInput(0, read)
        switch = nuke.nodes.Switch(name=spec.SWITCH_BAKED, which=0)
        switch.setInput(0, plate)
        switch.setInput(1, shuffle)
        nuke.nodes.Output(name=spec.OUTPUT).setInput(0, switch)
    finally:
        group.end()
    return group


def knob_values(node: Any) -> Dict[str, Any]:
    return {k.name: node[k.name].value() for k in spec.KNOBS if k.kind not in _KNOB_CLASSES_WITHOUT_VALUE}


def _layout(node: Any, values: Dict[str, Any]) -> jobfile.CacheLayout:
    root = jobfile.cache_root(str(values.get("cache_root") or ""), nuke.root().name())
    return jobfile.CacheLayout(root, node.name())


def _sources(node: Any, values: Dict[str, Any], layout: jobfile.CacheLayout, first: int, write: bool) -> list:
    photos = jobfile.source_photos(values)
    if photos or node.input(1) is None:
        return photos
    if write:  # the source input, frame `first`, as a scene-linear EXR still
        writer = node.node(spec.WRITE_SOURCE)
        writer["file"].setValue(layout.source_path)
        os.makedirs(os.path.dirname(layout.source_path), exist_ok=True)
        nuke.execute(writer, first, first)
    return [layout.source_path]


def write_plate(node: Any, values: Dict[str, Any], layout: jobfile.CacheLayout) -> None:
    first, last = int(values["frame_first"]), int(values["frame_last"])
    writer = node.node(spec.WRITE_PLATE)
    writer["file"].setValue(layout.plate_pattern)
    writer["file_type"].setValue("exr")
    writer["datatype"].setValue(values["datatype"])
    writer["colorspace"].setValue(values["colorspace"])
    os.makedirs(os.path.dirname(layout.plate_pattern), exist_ok=True)
    nuke.execute(writer, first, last)


def write_holdout(
    node: Any, values: Dict[str, Any], layout: jobfile.CacheLayout, write: bool
) -> Optional[str]:
    """The holdout input's frames as EXRs (its alpha is the roto); None when nothing is connected."""
    if node.input(2) is None:
        return None
    if write:
        writer = node.node(spec.WRITE_HOLDOUT)
        writer["file"].setValue(layout.holdout_pattern)
        os.makedirs(os.path.dirname(layout.holdout_pattern), exist_ok=True)
        nuke.execute(writer, int(values["frame_first"]), int(values["frame_last"]))
    return layout.holdout_pattern


def prepare_job(node: Any, write: bool = True) -> Dict[str, Any]:
    """Write the plate (source still, holdout), then the job file; returns {job, path, values}."""
    values = knob_values(node)
    layout = _layout(node, values)
    first = int(values["frame_first"])
    jobfile.frame_range(values)
    if write:
        write_plate(node, values, layout)
    sources = _sources(node, values, layout, first, write)
    job = jobfile.build_job(values, layout, sources, nuke.NUKE_VERSION_STRING)
    jobfile.set_holdout(job, write_holdout(node, values, layout, write))
    return {"job": job, "path": jobfile.write_job(job, layout.job_path), "values": values, "layout": layout}


def show_result(node: Any, pattern: Optional[str], values: Dict[str, Any], note: str = "") -> bool:
    """Point the Read at `pattern` when every frame exists, else pass the plate through."""
    first, last = int(values["frame_first"]), int(values["frame_last"])
    baked = bool(pattern) and not jobfile.missing_frames(pattern or "", first, last)
    node["ghost_output"].setValue(pattern or "")
    if baked:
        read = node.node(spec.READ_CACHE)
        read["file"].setValue(pattern)
        for name, value in (("first", first), ("last", last), ("origfirst", first), ("origlast", last)):
            read[name].setValue(value)
        node.node(spec.SHUFFLE_MATTE)["disable"].setValue(not values.get("matte_to_alpha", True))
    node.node(spec.SWITCH_BAKED)["which"].setValue(1 if baked else 0)
    status = jobfile.status_text(pattern, first, last)
    node["status"].setValue(status + ("\n" + note if note else ""))
    node["label"].setValue("" if baked else spec.NOT_BAKED)
    return baked


def bake(node: Any = None) -> Optional[Dict[str, Any]]:
    """The Bake button: plate → EXR, job → `ghostswap bake`, Read ← the cache. None when it failed."""
    node = node or nuke.thisNode()
    values = knob_values(node)
    task = None
    try:
        exe = jobfile.find_exe(str(values.get("ghostswap_exe") or ""))
        prepared = prepare_job(node)
        task = nuke.ProgressTask("GhostSwap: baking " + node.name())
        task.setMessage("starting ghostswap")

        def report(percent: int, message: str) -> None:
            task.setProgress(percent)
            task.setMessage(message)

        summary = runner.run(jobfile.bake_argv(exe, prepared["path"]), report, task.isCancelled)
    except runner.Cancelled as exc:
        show_result(node, None, values, str(exc))
        return None
    except GhostSwapError as exc:
        show_result(node, None, values, str(exc).splitlines()[0])
        nuke.message(str(exc))
        return None
    finally:
        task = None  # dropping the last reference closes Nuke's progress bar
    show_result(node, summary["output"], values)
    return summary


def refresh(node: Any) -> bool:
    """Ask the engine where the current knobs' result lives; show it, or pass through if missing."""
    values = knob_values(node)
    try:
        exe = jobfile.find_exe(str(values.get("ghostswap_exe") or ""))
        layout = _layout(node, values)
        sources = _sources(node, values, layout, int(values["frame_first"]), False)
        job = jobfile.build_job(values, layout, sources)
        jobfile.set_holdout(job, write_holdout(node, values, layout, False))
        fd, path = tempfile.mkstemp(prefix="ghostswap-check-", suffix=".json")
        os.close(fd)
        try:
            summary = runner.run(jobfile.check_argv(exe, jobfile.write_job(job, path)))
        finally:
            os.remove(path)
    except GhostSwapError as exc:
        return show_result(node, None, values, str(exc).splitlines()[0])
    return show_result(node, summary.get("output"), values)


def knob_changed(node: Any = None, knob: Any = None) -> None:
    """knobChanged: any knob that decides the pixels re-checks the cache, so nothing stale shows."""
    node = node or nuke.thisNode()
    knob = knob or nuke.thisKnob()
    if knob is not None and knob.name() in spec.PIXEL_KNOBS:
        refresh(node)


def farm_available(exe: str) -> bool:
    try:
        return (
            subprocess.call([exe, "farm", "--help"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            == 0
        )
    except OSError:
        return False


def farm_bake(node: Any = None) -> Optional[Dict[str, Any]]:
    """Farm bake: write the plate and the job into the cache, then submit or say what to run."""
    node = node or nuke.thisNode()
    try:
        exe = jobfile.find_exe(str(knob_values(node).get("ghostswap_exe") or ""))
        prepared = prepare_job(node)
        plan = jobfile.farm_commands(
            exe,
            prepared["path"],
            prepared["job"]["frames"],
            farm_available(exe),
            hostkit.farm_manager(),
            os.path.join(prepared["layout"].node_dir, "farm"),
        )
        if "argv" in plan:
            summary = runner.run(plan["argv"])
            nuke.message("GhostSwap farm job submitted:\n" + str(summary.get("message", prepared["path"])))
        else:
            nuke.message(plan["message"])
    except GhostSwapError as exc:
        nuke.message(str(exc))
        return None
    return {"job": prepared["path"], **plan}
