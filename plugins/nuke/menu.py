# GhostSwap: Nodes menu entry. The Group is built by Python so scripts carry it to the farm.
import nuke

nuke.menu("Nodes").addCommand(
    "GhostSwap/GhostSwap", "import ghostswap_nuke; ghostswap_nuke.create_node()", icon=""
)
