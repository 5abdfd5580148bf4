"""Job files: the versioned JSON contract between hosts, farms, the warm worker and the engine."""
