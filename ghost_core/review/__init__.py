"""`ghostswap review`: a self-contained dailies folder for a rendered shot, with content credentials.

A supervisor gets an H.264 proxy, a frame-accurate HTML flipbook and the contact sheet; every image
and video that leaves through here carries a signed C2PA manifest saying it is synthetic media made
by GhostSwap, with the model, source photos and settings that made it (docs/review.md).
"""
