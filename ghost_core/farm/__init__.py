"""Farm submission files (Open Job Description, Deadline 10, OpenCue, Tractor) for one shot job.

GhostSwap never talks to a farm server: it writes the files a wrangler (or a pipeline tool)
submits, all wrapping the same two commands, `ghostswap track --job` and `ghostswap render --job
--frames`.
"""
