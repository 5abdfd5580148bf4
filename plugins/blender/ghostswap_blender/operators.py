"""Operators: Bake, Farm bake, Load bake and Build node group (UI wrappers around bake.py)."""

from __future__ import annotations

from typing import ClassVar

import bpy

from . import bake, nodegroup, runner


class _GhostSwapOperator(bpy.types.Operator):
    bl_options: ClassVar[set[str]] = {"REGISTER"}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return context.scene is not None and hasattr(context.scene, "ghostswap")

    def _fail(self, context: bpy.types.Context, exc: Exception) -> set[str]:
        context.scene.ghostswap.status = str(exc)
        self.report({"ERROR"}, str(exc))
        return {"CANCELLED"}


class GHOSTSWAP_OT_bake(_GhostSwapOperator):
    """Write the plate, run ghostswap bake (track when needed, then render) and wire the result"""

    bl_idname = "ghostswap.bake"
    bl_label = "GhostSwap: Bake"

    def execute(self, context: bpy.types.Context) -> set[str]:
        try:
            result = bake.bake(context)
        except (runner.GhostSwapCommandError, RuntimeError, ValueError, OSError) as exc:
            return self._fail(context, exc)
        self.report({"INFO"}, context.scene.ghostswap.status or str(result["summary"].get("output")))
        return {"FINISHED"}


class GHOSTSWAP_OT_farm_bake(_GhostSwapOperator):
    """Write the plate and job file into the cache, then submit it to the farm (or show the commands)"""

    bl_idname = "ghostswap.farm_bake"
    bl_label = "GhostSwap: Farm bake"

    def execute(self, context: bpy.types.Context) -> set[str]:
        try:
            plan = bake.farm_bake(context)
        except (runner.GhostSwapCommandError, RuntimeError, ValueError, OSError) as exc:
            return self._fail(context, exc)
        self.report({"INFO"} if plan.submitted else {"WARNING"}, plan.message)
        return {"FINISHED"}


class GHOSTSWAP_OT_load(_GhostSwapOperator):
    """Wire the node group to a finished (e.g. farm) bake of the current settings"""

    bl_idname = "ghostswap.load"
    bl_label = "GhostSwap: Load bake"

    def execute(self, context: bpy.types.Context) -> set[str]:
        try:
            bake.load_result(context)
        except (runner.GhostSwapCommandError, RuntimeError, ValueError, OSError, KeyError) as exc:
            return self._fail(context, exc)
        self.report({"INFO"}, context.scene.ghostswap.status)
        return {"FINISHED"}


class GHOSTSWAP_OT_build_group(_GhostSwapOperator):
    """Create or update the built-in "GhostSwap" compositor node group"""

    bl_idname = "ghostswap.build_group"
    bl_label = "GhostSwap: Build node group"

    def execute(self, context: bpy.types.Context) -> set[str]:
        nodegroup.build_group()
        return {"FINISHED"}


CLASSES = (GHOSTSWAP_OT_bake, GHOSTSWAP_OT_farm_bake, GHOSTSWAP_OT_load, GHOSTSWAP_OT_build_group)
