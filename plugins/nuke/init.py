# GhostSwap: put this folder on NUKE_PATH. Only adds the gizmo folder; nothing heavy runs at startup.
import os

import nuke

nuke.pluginAddPath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "gizmos"))
