"""The unrolled CPU threefry lowering: the same random bits, no while loop in the program."""

import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCRIPT = """
import json
import jax, jax.numpy as jnp, numpy as np
from jaxdiffrl import jax_compat

def draws(key):
    a, b = jax.random.split(key)
    return {"normal": jax.random.normal(a, (257, 3)), "uniform": jax.random.uniform(b, (5,)),
            "bits": jax.random.bits(key, (1000,)), "ints": jax.random.randint(b, (64,), 0, 17),
            "vmapped": jax.vmap(lambda k: jax.random.normal(k, (4,)))(jax.random.split(key, 8))}

keys = [jax.random.PRNGKey(s) for s in (0, 1, 12345, 2**31 - 1)]
rolled_text = jax.jit(draws).lower(keys[0]).as_text()
before = [jax.tree.map(np.asarray, jax.jit(draws)(k)) for k in keys]
applied, why = jax_compat.unroll_cpu_threefry()
again, _ = jax_compat.unroll_cpu_threefry()
fresh = lambda key: draws(key)  # a new function: lowered anew
unrolled_text = jax.jit(fresh).lower(keys[0]).as_text()
after = [jax.tree.map(np.asarray, jax.jit(fresh)(k)) for k in keys]
pairs = [(x, y) for b, a in zip(before, after) for x, y in zip(jax.tree.leaves(b), jax.tree.leaves(a))]
same = all(np.array_equal(x, y) for x, y in pairs)
back, _ = jax_compat.set_cpu_threefry(unrolled=False)
rolled_again = jax.jit(lambda key: draws(key)).lower(keys[0]).as_text()
print(json.dumps({"applied": applied, "again": again, "why": why, "same": same,
                  "rolled_while": "stablehlo.while" in rolled_text,
                  "unrolled_while": "stablehlo.while" in unrolled_text,
                  "back": back, "back_while": "stablehlo.while" in rolled_again}))
"""


def test_unrolled_threefry_gives_the_same_bits():
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=REPO, capture_output=True, text=True, timeout=120,
        env={**os.environ, "JAX_PLATFORMS": "cpu"},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    if not report["applied"]:  # a JAX without the private names: a clean no-op, said so
        assert report["why"] and report["same"]
        return
    assert report["again"], "idempotent"
    assert report["same"], "the unrolled lowering must draw exactly the rolled one's bits"
    assert report["rolled_while"] and not report["unrolled_while"], "CPU threefry is lowered unrolled"
    assert report["back"] and report["back_while"], "and can be switched back (A/B benchmarks)"


def test_shim_falls_back_cleanly_without_the_private_names(monkeypatch):
    from jaxdiffrl import jax_compat

    monkeypatch.setattr(jax_compat, "_THREEFRY_MODULES", ("jax._src.no_such_module",))
    monkeypatch.setitem(jax_compat._state, "applied", False)
    monkeypatch.setitem(jax_compat._state, "reason", "not tried")
    applied, why = jax_compat.unroll_cpu_threefry()
    assert not applied and "no known JAX module" in why
