"""Flow-GAN: a normalising flow fitted by maximum likelihood and, at once, as the generator of a
WGAN-GP — CPED's behaviour-density model (Grover et al.'s Flow-GAN with a Wasserstein critic).

The flow f: x ↦ z (``jaxdiffrl.networks.flows``) is a generator G(z) = f⁻¹(z) whose density is
exact, so one model is trained by both objectives:

- discriminator (every update): min_φ E D(G(z)) − E D(x) + GP, the WGAN-GP critic loss, with
  the generated batch stop-gradiented;
- flow (every ``flow_every``-th update, against the discriminator after this update's step):
  min_θ −E D(G_θ(z)) + λ E[−log p_θ(x)], λ = ``nll_weight``.

The gradient penalty has two forms (``gradient_penalty``): ``"standard"`` is WGAN-GP's, 10·E(‖∇D(x̂)‖
− 1)² at x̂ = u x + (1 − u) G(z), u ~ U(0, 1), of the score D (the mean of the critic's D outputs);
``"code"`` is the CPED reference code's, weight 0.5, u ~ N(0, 1) and the gradient of the critic's
summed outputs (D times the score's).

Shapes: x is (B, D), the features the density is over (for CPED, [s, a]); log p is (B,).
"""

import flax.struct
import jax
import jax.numpy as jnp
import ml_collections
from flax.training.train_state import TrainState

from jaxdiffrl.agents.optimization import make_optimizer, new_train_state
from jaxdiffrl.agents.td3_critic import select
from jaxdiffrl.networks.discriminators import WGANDiscriminator, gradient_penalty
from jaxdiffrl.networks.flows import NICE, RealNVP

FLOWS = {"nice": NICE, "realnvp": RealNVP}
# name: (weight, interpolation, gradient of the summed outputs rather than of their mean)
GRADIENT_PENALTIES = {"standard": (10.0, "uniform", False), "code": (0.5, "normal", True)}


def default_flow_gan_config() -> ml_collections.ConfigDict:
    """CPED's Flow-GAN (ALGORITHMS: NICE 4 × 750-750, critic [2D, 4D], Adam 1e-4, flow every 5th)."""
    return ml_collections.ConfigDict(
        {
            "flow": "nice",  # nice (CPED) | realnvp
            "num_couplings": 4,
            "hidden_dims": (750, 750),
            # Where the coupling nets standardise their inputs: all (the paper's NICE) | hidden |
            # none (what the reference code computes; its normalisation has statistics switched off).
            "standardize": "all",
            "discriminator_multipliers": (2, 4),  # hidden widths, in multiples of D
            "flow_lr": 1e-4,
            "flow_b2": 0.01,  # the reference code's Adam betas (0.9, 0.01), eps 1e-4 for the flow
            "flow_eps": 1e-4,
            "discriminator_lr": 1e-4,
            "flow_every": 5,  # the flow steps on every flow_every-th update, the critic on all
            "nll_weight": 1.0,  # λ of the generator's −E D(G(z)) + λ NLL
            "gradient_penalty": "standard",  # standard (weight 10, u ~ U(0, 1)) | code (0.5, u ~ N(0, 1))
        }
    )


def check_flow_gan_config(config: ml_collections.ConfigDict) -> None:
    for key, choices in (("flow", FLOWS), ("gradient_penalty", GRADIENT_PENALTIES)):
        if config[key] not in choices:
            raise ValueError(f"Unknown flow_gan.{key} {config[key]!r}; choose one of {tuple(choices)}.")
    if config.flow_every < 1:
        raise ValueError(f"flow_gan.flow_every must be at least 1, got {config.flow_every}.")


class FlowGAN(flax.struct.PyTreeNode):
    """The flow and its critic, each with its optimiser; ``update`` is one Flow-GAN step."""

    flow: TrainState
    discriminator: TrainState
    config: ml_collections.FrozenConfigDict = flax.struct.field(pytree_node=False)

    @classmethod
    def create(cls, rng: jax.Array, dim: int, config: ml_collections.ConfigDict) -> "FlowGAN":
        """A flow over ``dim`` features (≥ 2) and its critic; ``config`` as ``default_flow_gan_config``."""
        check_flow_gan_config(config)
        flow_key, disc_key = jax.random.split(rng)
        flow_net = FLOWS[config.flow](
            dim=dim,
            num_couplings=config.num_couplings,
            hidden_dims=tuple(config.hidden_dims),
            standardize=config.standardize,
        )
        disc_net = WGANDiscriminator(hidden_multipliers=tuple(config.discriminator_multipliers))
        example = jnp.zeros((1, dim), jnp.float32)
        flow_tx = make_optimizer(config.flow_lr, b2=config.flow_b2, eps=config.flow_eps)
        return cls(
            flow=new_train_state(flow_net, flow_net.init(flow_key, example), flow_tx),
            discriminator=new_train_state(
                disc_net, disc_net.init(disc_key, example), make_optimizer(config.discriminator_lr)
            ),
            config=ml_collections.FrozenConfigDict(config),
        )

    def log_prob(self, x: jnp.ndarray, params=None) -> jnp.ndarray:
        """log p(x) (...,) for x (..., D), under ``params`` (default: the current flow's)."""
        params = self.flow.params if params is None else params
        return self.flow.apply_fn(params, x, method="log_prob")

    def sample(self, rng: jax.Array, n: int) -> jnp.ndarray:
        """n samples (n, D) of the flow; ``n`` a Python int."""
        return self.flow.apply_fn(self.flow.params, rng, n, method="sample")

    def update(self, real: jnp.ndarray, rng: jax.Array, step: jax.Array) -> tuple["FlowGAN", dict]:
        """One Flow-GAN step on a data batch ``real`` (B, D); the flow steps when ``step`` (updates
        done before this one) is a multiple of ``flow_every``, the critic always."""
        config = self.config
        prior_key, penalty_key = jax.random.split(rng)
        flow_apply = self.flow.apply_fn
        z = flow_apply(self.flow.params, prior_key, real.shape[0], method="sample_prior")
        # One inverse pass: the critic sees G(z) stop-gradiented, the flow's adversarial gradient is
        # pulled back through the same pass.
        generated, pull_back = jax.vjp(lambda p: flow_apply(p, z, method="inverse"), self.flow.params)
        fake = jax.lax.stop_gradient(generated)
        weight, interpolation, summed = GRADIENT_PENALTIES[config.gradient_penalty]
        dim = real.shape[-1]

        def discriminator_loss(params):
            score = lambda x: self.discriminator.apply_fn(params, x)
            d_real, d_fake = score(real).mean(), score(fake).mean()
            penalised = (lambda x: dim * score(x)) if summed else score
            penalty = gradient_penalty(penalised, real, fake, penalty_key, weight, interpolation)
            loss = d_fake - d_real + penalty
            return loss, {"d_loss": loss, "gradient_penalty": penalty, "wasserstein": d_real - d_fake}

        grads, disc_info = jax.grad(discriminator_loss, has_aux=True)(self.discriminator.params)
        discriminator = self.discriminator.apply_gradients(grads=grads)

        # The flow's loss −E D(G(z)) + λ NLL, against the critic after its step.
        adversarial, adversarial_grad = jax.value_and_grad(
            lambda x: -discriminator.apply_fn(discriminator.params, x).mean()
        )(fake)
        nll, nll_grads = jax.value_and_grad(lambda p: -flow_apply(p, real, method="log_prob").mean())(
            self.flow.params
        )
        (adversarial_grads,) = pull_back(adversarial_grad)
        grads = jax.tree.map(lambda a, n: a + config.nll_weight * n, adversarial_grads, nll_grads)
        loss = adversarial + config.nll_weight * nll
        flow_info = {"g_loss": loss, "g_adversarial": adversarial, "nll": nll}
        due = jnp.asarray(step) % config.flow_every == 0
        flow = select(due, self.flow.apply_gradients(grads=grads), self.flow)
        info = {**disc_info, **flow_info, "flow_updated": due.astype(jnp.float32)}
        return self.replace(flow=flow, discriminator=discriminator), info
