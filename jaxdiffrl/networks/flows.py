"""Coupling normalising flows: NICE (CPED's behaviour-density model) and RealNVP.

A flow is an invertible map f: x ↦ z from data space R^D to a latent space with a fixed prior, so
the data density is exact by change of variables,

    log p(x) = log p_Z(f(x)) + log |det ∂f(x)/∂x|.

CPED fits such a density to x = [s, a] and uses −log p(s, a) of the policy's actions as its
support constraint.

Layout. x is cut into two contiguous halves: the first ⌊D/2⌋ features (``x_a``) and the last
⌈D/2⌉ (``x_b``). Coupling 0 updates ``x_b`` from ``x_a``, coupling 1 updates ``x_a`` from ``x_b``,
and so on, alternating (the CPED reference code's order). An additive coupling (NICE) is
``x_b ← x_b + m(x_a)`` and has unit Jacobian determinant; an affine coupling (RealNVP) is
``x_b ← x_b · exp(s(x_a)) + t(x_a)`` with log-determinant Σ s. An optional last layer scales
every feature, ``z = y · exp(scale)`` (log-determinant Σ scale), which is NICE's only source of
volume change.

API. ``CouplingFlow`` (and its presets ``NICE`` and ``RealNVP``) is a flax.linen module whose
methods are called through ``apply``; every input may have any leading batch shape ``(..., D)``
and per-sample outputs have that batch shape:

    flow = NICE(dim=D)
    params = flow.init(rng, x)                                   # x: (B, D)
    z, log_det = flow.apply(params, x)                           # (B, D), (B,); same as method="forward"
    x = flow.apply(params, z, method="inverse")                  # (B, D)
    log_p = flow.apply(params, x, method="log_prob")             # (B,)
    samples = flow.apply(params, rng, n, method="sample")        # (n, D); n is a Python int
    samples, log_p = flow.apply(params, rng, n, method="sample_and_log_prob")
    x, log_det = flow.apply(params, z, method="inverse_and_log_det")  # log_det as forward's, at x
    log_pz = flow.apply(params, z, method="prior_log_prob")      # (B,)

The module holds no state besides ``params``, so all of these compose with ``jax.jit`` and
``jax.vmap`` (e.g. ``jax.vmap(flow.init, in_axes=(0, None))(keys, x)`` builds one parameter set per seed and
``jax.vmap(lambda p, x: flow.apply(p, x, method="log_prob"))`` evaluates them together).
"""

import math
from collections.abc import Callable, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxdiffrl.networks.mlp import Activation, default_init

_LOG_2PI = math.log(2 * math.pi)  # a Python float: no device touched at import

COUPLINGS = ("additive", "affine")
PRIORS = ("logistic", "gaussian")
STANDARDIZE = ("all", "hidden", "none")


def symmetric_uniform(bound: float) -> nn.initializers.Initializer:
    """U(−bound, bound) initialiser (flax's ``uniform`` is one-sided, U[0, scale))."""

    def init(key: jax.Array, shape: Sequence[int], dtype=jnp.float32) -> jnp.ndarray:
        return jax.random.uniform(key, shape, dtype, -bound, bound)

    return init


def standardize_features(h: jnp.ndarray, eps: float = 1e-6) -> jnp.ndarray:
    """Per-sample (h − mean) / sqrt(var + eps) over the last (feature) axis; no parameters.

    The variance is the population one (divides by the number of features). A single feature is
    mapped to 0, whatever its value.
    """
    mean = jnp.mean(h, axis=-1, keepdims=True)
    var = jnp.mean(jnp.square(h - mean), axis=-1, keepdims=True)
    return (h - mean) * jax.lax.rsqrt(var + eps)


def logistic_log_prob(z: jnp.ndarray) -> jnp.ndarray:
    """Standard logistic density summed over the last axis: −Σ (softplus(z) + softplus(−z)). (...,)"""
    return -jnp.sum(jax.nn.softplus(z) + jax.nn.softplus(-z), axis=-1)


def gaussian_log_prob(z: jnp.ndarray) -> jnp.ndarray:
    """Standard normal density summed over the last axis. (...,)"""
    return jnp.sum(-0.5 * jnp.square(z) - 0.5 * _LOG_2PI, axis=-1)


class CouplingNet(nn.Module):
    """The conditioner of one coupling: Dense layers ``hidden_dims`` then ``out_dim``.

    ``standardize`` puts ``standardize_features`` before every Dense (``"all"``), before all but
    the first (``"hidden"``) or nowhere (``"none"``). The activation follows every hidden layer
    and, with ``activate_final``, the output layer too (NICE in the CPED paper). Input (..., d_in),
    output (..., out_dim).
    """

    hidden_dims: Sequence[int]
    out_dim: int
    activation: Activation = nn.leaky_relu
    activate_final: bool = False
    standardize: str = "all"
    kernel_init: Callable = default_init()
    bias_init: Callable = nn.initializers.zeros
    out_kernel_init: Callable = nn.initializers.zeros
    out_bias_init: Callable = nn.initializers.zeros
    eps: float = 1e-6

    @nn.compact
    def __call__(self, h: jnp.ndarray) -> jnp.ndarray:
        widths = [*self.hidden_dims, self.out_dim]
        for i, width in enumerate(widths):
            last = i + 1 == len(widths)
            if self.standardize == "all" or (self.standardize == "hidden" and i > 0):
                h = standardize_features(h, self.eps)
            h = nn.Dense(
                width,
                kernel_init=self.out_kernel_init if last else self.kernel_init,
                bias_init=self.out_bias_init if last else self.bias_init,
            )(h)
            if not last or self.activate_final:
                h = self.activation(h)
        return h


class CouplingFlow(nn.Module):
    """A stack of alternating coupling layers over contiguous halves, then an optional diagonal scale.

    Fields:
      dim: D, the number of features of x (≥ 2).
      num_couplings: how many couplings (they alternate which half they update).
      hidden_dims: widths of each coupling net's hidden layers.
      coupling: ``"additive"`` (NICE, x_b + m(x_a)) or ``"affine"`` (RealNVP,
        x_b · exp(s) + t with s = max_log_scale · tanh(raw / max_log_scale), a soft bound that is
        the identity near 0, so |s| < max_log_scale).
      prior: ``"logistic"`` or ``"gaussian"`` (both standard, independent per feature).
      standardize: where the coupling nets standardise their inputs (see ``CouplingNet``).
        ``"all"`` (the CPED paper's form) also standardises the conditioning half itself, which
        discards its per-sample mean and spread; with a half of one feature (D ≤ 3) the
        conditioner would see a constant, so that combination is refused. The CPED reference code
        calls its normalisation with the statistics switched off, so what it computes is ``"none"``.
      activation, activate_final: the coupling nets' activation, and whether it also follows
        their output layer (additive couplings only; an affine one's outputs stay linear).
      init_bound: weights and biases of every coupling-net layer drawn from U(±init_bound); with
        ``None`` the hidden layers use the project's default initialiser and zero biases and the
        output layer starts at zero (the flow starts at the identity).
      final_scale: append z = y · exp(scale), ``scale`` (D,) initialised to 0.
      eps: the standardisation's variance floor.

    Methods (all through ``apply``; x and z are (..., D), per-sample outputs (...,)): ``forward``
    (= ``__call__``) → (z, log|det ∂z/∂x|); ``inverse`` → x; ``inverse_and_log_det`` → (x, the
    forward log-det at x); ``log_prob``; ``prior_log_prob``; ``sample_prior(rng, n)`` → (n, D);
    ``sample(rng, n)`` → (n, D); ``sample_and_log_prob(rng, n)`` → ((n, D), (n,)).
    """

    dim: int
    num_couplings: int = 4
    hidden_dims: Sequence[int] = (750, 750)
    coupling: str = "additive"
    prior: str = "logistic"
    standardize: str = "all"
    activation: Activation = nn.leaky_relu
    activate_final: bool = True
    init_bound: float | None = 0.01
    final_scale: bool = True
    max_log_scale: float = 3.0
    eps: float = 1e-6

    def setup(self):
        if self.coupling not in COUPLINGS:
            raise ValueError(f"Unknown coupling {self.coupling!r}; choose one of {COUPLINGS}.")
        if self.prior not in PRIORS:
            raise ValueError(f"Unknown prior {self.prior!r}; choose one of {PRIORS}.")
        if self.standardize not in STANDARDIZE:
            raise ValueError(f"Unknown standardize {self.standardize!r}; choose one of {STANDARDIZE}.")
        if self.dim < 2:
            raise ValueError(f"A coupling flow needs dim >= 2, got {self.dim}.")
        if self.standardize == "all" and self._split == 1:
            raise ValueError(
                f"With dim={self.dim} one half has a single feature, which standardize='all' maps to "
                "a constant (the coupling would ignore its input); use standardize='hidden' or 'none'."
            )
        if self.init_bound is None:
            inits = dict(
                kernel_init=default_init(),
                bias_init=nn.initializers.zeros,
                out_kernel_init=nn.initializers.zeros,
                out_bias_init=nn.initializers.zeros,
            )
        else:
            uniform = symmetric_uniform(self.init_bound)
            inits = dict(
                kernel_init=uniform, bias_init=uniform, out_kernel_init=uniform, out_bias_init=uniform
            )
        affine = self.coupling == "affine"
        nets = []
        for i in range(self.num_couplings):
            updated = self.dim - self._split if i % 2 == 0 else self._split
            nets.append(
                CouplingNet(
                    hidden_dims=tuple(self.hidden_dims),
                    out_dim=2 * updated if affine else updated,
                    activation=self.activation,
                    activate_final=self.activate_final and not affine,
                    standardize=self.standardize,
                    eps=self.eps,
                    **inits,
                )
            )
        self.nets = nets
        if self.final_scale:
            self.scale = self.param("scale", nn.initializers.zeros, (self.dim,))

    @property
    def _split(self) -> int:
        """Size of the first half, ⌊D/2⌋."""
        return self.dim // 2

    def _shift_and_log_scale(self, i: int, cond: jnp.ndarray) -> tuple[jnp.ndarray, jnp.ndarray | None]:
        out = self.nets[i](cond)
        if self.coupling == "additive":
            return out, None
        raw, shift = jnp.split(out, 2, axis=-1)
        return shift, self.max_log_scale * jnp.tanh(raw / self.max_log_scale)

    def _halves(self, x: jnp.ndarray) -> tuple[jnp.ndarray, jnp.ndarray]:
        if x.shape[-1] != self.dim:
            raise ValueError(f"Expected inputs with {self.dim} features, got shape {x.shape}.")
        return x[..., : self._split], x[..., self._split :]

    def forward(self, x: jnp.ndarray) -> tuple[jnp.ndarray, jnp.ndarray]:
        """x (..., D) → (z (..., D), log|det ∂z/∂x| (...,))."""
        a, b = self._halves(x)
        log_det = jnp.zeros(x.shape[:-1], x.dtype)
        for i in range(self.num_couplings):
            cond, target = (a, b) if i % 2 == 0 else (b, a)
            shift, log_scale = self._shift_and_log_scale(i, cond)
            if log_scale is None:
                target = target + shift
            else:
                target = target * jnp.exp(log_scale) + shift
                log_det = log_det + jnp.sum(log_scale, axis=-1)
            a, b = (a, target) if i % 2 == 0 else (target, b)
        z = jnp.concatenate([a, b], axis=-1)
        if self.final_scale:
            z = z * jnp.exp(self.scale)
            log_det = log_det + jnp.sum(self.scale)
        return z, log_det

    def __call__(self, x: jnp.ndarray) -> tuple[jnp.ndarray, jnp.ndarray]:
        return self.forward(x)

    def inverse_and_log_det(self, z: jnp.ndarray) -> tuple[jnp.ndarray, jnp.ndarray]:
        """z (..., D) → (x = f⁻¹(z) (..., D), log|det ∂f/∂x| at that x (...,)), the forward log-det."""
        log_det = jnp.zeros(z.shape[:-1], z.dtype)
        if self.final_scale:
            z = z * jnp.exp(-self.scale)
            log_det = log_det + jnp.sum(self.scale)
        a, b = self._halves(z)
        for i in reversed(range(self.num_couplings)):
            cond, target = (a, b) if i % 2 == 0 else (b, a)
            shift, log_scale = self._shift_and_log_scale(i, cond)
            if log_scale is None:
                target = target - shift
            else:
                target = (target - shift) * jnp.exp(-log_scale)
                log_det = log_det + jnp.sum(log_scale, axis=-1)
            a, b = (a, target) if i % 2 == 0 else (target, b)
        return jnp.concatenate([a, b], axis=-1), log_det

    def inverse(self, z: jnp.ndarray) -> jnp.ndarray:
        """z (..., D) → x (..., D)."""
        return self.inverse_and_log_det(z)[0]

    def prior_log_prob(self, z: jnp.ndarray) -> jnp.ndarray:
        """log p_Z(z) (...,)."""
        return logistic_log_prob(z) if self.prior == "logistic" else gaussian_log_prob(z)

    def sample_prior(self, rng: jax.Array, n: int) -> jnp.ndarray:
        """n latents from the prior, (n, D)."""
        if self.prior == "logistic":
            return jax.random.logistic(rng, (n, self.dim))
        return jax.random.normal(rng, (n, self.dim))

    def log_prob(self, x: jnp.ndarray) -> jnp.ndarray:
        """Exact log p(x) = log p_Z(f(x)) + log|det ∂f/∂x|, (...,)."""
        z, log_det = self.forward(x)
        return self.prior_log_prob(z) + log_det

    def sample(self, rng: jax.Array, n: int) -> jnp.ndarray:
        """n samples x = f⁻¹(z), z ~ prior; (n, D). ``n`` must be a Python int."""
        return self.inverse(self.sample_prior(rng, n))

    def sample_and_log_prob(self, rng: jax.Array, n: int) -> tuple[jnp.ndarray, jnp.ndarray]:
        """n samples and their log p(x) from one inverse pass; ((n, D), (n,))."""
        z = self.sample_prior(rng, n)
        x, log_det = self.inverse_and_log_det(z)
        return x, self.prior_log_prob(z) + log_det


class NICE(CouplingFlow):
    """CPED's default density model: 4 additive couplings with 750-750 LeakyReLU nets (LeakyReLU
    after the output layer too), U(±0.01) weights and biases, a parameter-free standardisation
    before every Dense, a final diagonal scale and a logistic prior. See ``CouplingFlow``."""

    coupling: str = "additive"
    prior: str = "logistic"
    standardize: str = "all"
    activation: Activation = nn.leaky_relu
    activate_final: bool = True
    init_bound: float | None = 0.01
    final_scale: bool = True


class RealNVP(CouplingFlow):
    """The RealNVP option: affine couplings with a tanh-bounded log-scale, ReLU conditioners that
    start at the identity (zero output layer), hidden-layer standardisation only, no final scale and
    a Gaussian prior. See ``CouplingFlow``."""

    coupling: str = "affine"
    prior: str = "gaussian"
    standardize: str = "hidden"
    activation: Activation = nn.relu
    activate_final: bool = False
    init_bound: float | None = None
    final_scale: bool = False
