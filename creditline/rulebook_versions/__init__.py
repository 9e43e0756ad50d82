"""Rulebooks as governed data: versions drafted, simulated and published in the app (four-eyes).

Above scoring and credit lines (a simulation replays a line's proposals through scoring); the
registry it publishes into is ``creditline.rulebooks``, below them.
"""
