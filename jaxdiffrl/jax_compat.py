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
    if _state["applied"]:
        return True, str(_state["reason"])
    try:
        from jax._src.interpreters import mlir
    except ImportError as error:
        return _give_up(f"jax._src.interpreters.mlir is gone ({error})")
    for name in _THREEFRY_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        primitive = getattr(module, "threefry2x32_p", None)
        rule = getattr(module, "_threefry2x32_lowering_rule", None)
        unrolled = getattr(module, "_threefry2x32_lowering", None)
        if primitive is None or rule is None or unrolled is None:
            continue
        keywords = getattr(getattr(rule, "func", None), "keywords", None)  # lower_fun(partial(...))
        if keywords is not None and keywords.get("use_rolled_loops", False):
            return _give_up(f"{name}'s default rule is the rolled one; nothing to gain")
        register = getattr(mlir, "register_lowering", None)
        if register is None:
            return _give_up("jax._src.interpreters.mlir.register_lowering is gone")
        register(primitive, rule, platform="cpu")
        _state.update(applied=True, reason=f"CPU threefry lowered unrolled ({name})")
        return True, str(_state["reason"])
    return _give_up("no known JAX module holds the threefry2x32 primitive and its lowering rules")


def _give_up(reason: str) -> tuple[bool, str]:
    _state.update(applied=False, reason=reason)
    return False, reason
