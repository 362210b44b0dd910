"""Guarded adjustments to JAX internals, each with a clean fallback.

``unroll_cpu_threefry``: on CPU, JAX lowers the threefry2x32 hash behind every ``jax.random``
draw as a rolled ``while`` loop over its five rounds groups; GPUs get the unrolled form. Both
compute the same bits. The rolled loop keeps XLA from fusing the hash with its neighbours, which
costs ≈ 1.1× on this project's sampling-heavy CPU updates (IDQL's actor, candidate sampling). JAX
has no public switch for it, so this re-registers JAX's own unrolled rule for the CPU platform —
only where the private names it needs exist and have the expected form; anywhere else it does
nothing and says why. The bits are unchanged (tests/test_jax_compat.py checks them).
"""

from __future__ import annotations

import importlib

_state: dict[str, object] = {"applied": False, "reason": "not tried"}

# where JAX has kept the threefry primitive and its unrolled lowering rule, newest first
_THREEFRY_MODULES = ("jax._src.random.threefry2x32", "jax._src.prng")


def unroll_cpu_threefry() -> tuple[bool, str]:
    """Lowers threefry2x32 unrolled on CPU too (JAX's GPU/default rule). Returns (applied, why);
    idempotent. Affects programs lowered afterwards only, so call it before the first jit."""
    return set_cpu_threefry(unrolled=True)


def set_cpu_threefry(unrolled: bool) -> tuple[bool, str]:
    """Registers JAX's unrolled (``unrolled=True``) or its own rolled CPU lowering of threefry2x32
    for programs lowered from now on — for A/B measurements of the two in one process. Returns
    (whether the rule is now the one asked for, why)."""
    if _state["applied"] == unrolled and _state["reason"] != "not tried":
        return True, str(_state["reason"])
    try:
        from jax._src.interpreters import mlir
    except ImportError as error:
        return _give_up(f"jax._src.interpreters.mlir is gone ({error})")
    register = getattr(mlir, "register_lowering", None)
    if register is None:
        return _give_up("jax._src.interpreters.mlir.register_lowering is gone")
    for name in _THREEFRY_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        primitive = getattr(module, "threefry2x32_p", None)
        unrolled_rule = getattr(module, "_threefry2x32_lowering_rule", None)  # the default platforms'
        rolled_rule = getattr(module, "_threefry2x32_cpu_lowering_rule", None)  # CPU's own
        if primitive is None or unrolled_rule is None or rolled_rule is None:
            continue
        register(primitive, unrolled_rule if unrolled else rolled_rule, platform="cpu")
        form = "unrolled" if unrolled else "rolled (JAX's CPU default)"
        _state.update(applied=unrolled, reason=f"CPU threefry lowered {form} ({name})")
        return True, str(_state["reason"])
    return _give_up("no known JAX module holds the threefry2x32 primitive and its lowering rules")


def _give_up(reason: str) -> tuple[bool, str]:
    _state.update(applied=False, reason=reason)
    return False, reason
