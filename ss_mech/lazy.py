"""Lazy package attributes (PEP 562): a package's face without importing its heavy modules.

``import ss_mech`` must not import torch, and a circuit worker process must not either; so the
packages name where each public attribute lives and import that module on first access.
"""
from __future__ import annotations

import importlib

__all__ = ["lazy_attributes"]


def lazy_attributes(package: str, where: dict[str, str], namespace: dict):
    """``(__getattr__, __dir__)`` for ``package`` whose attribute ``name`` lives in ``.where[name]``.

    Each attribute is imported on first access and then kept in ``namespace`` (the package's
    globals), so later accesses cost nothing.
    """
    def __getattr__(name):
        if name in where:
            value = getattr(importlib.import_module(f".{where[name]}", package), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(set(namespace) | set(where))

    return __getattr__, __dir__
