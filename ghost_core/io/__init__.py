"""Scene-linear EXR frame layer: sequences, bit-exact reads and writes, atomic output and resume."""
