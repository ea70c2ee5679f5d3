"""Reproductions of "Learning with springs and sticks" (arXiv 2508.19015)."""
from . import mlp

REPRODUCTIONS = {"mlp": mlp.run}
