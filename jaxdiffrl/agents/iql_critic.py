"""The generalised IQL critic (twin Q, V, EMA target Q), shared by IQL, IDQL and ACD.

L_V = E[f(min_i Q̄_i(s, a) − V(s))] with f from ``value_losses`` at the level ``hparams`` holds
for it (``expectile``, ``quantile`` or ``alpha_exp``); L_Q = E[Σ_i (r + γ m V(s′) − Q_i(s, a))²].
One ``update`` does the V step, then the Q step with the new V (as IQL's reference code orders
them), then Polyak-averages the target at rate ``tau``. Infos: ``value/…`` and ``critic/…``.

The full account (losses, options, departures from the paper and its code): docs/algorithms.md §3.
"""

import flax.struct
import jax
import jax.numpy as jnp
import ml_collections
from flax.training.train_state import TrainState

from jaxdiffrl.agents import infos
from jaxdiffrl.agents.optimization import ema, make_optimizer, new_train_state
from jaxdiffrl.agents.value_losses import VALUE_LOSSES, capped_fraction, value_loss
from jaxdiffrl.networks import StateValue, activation_by_name, q_ensemble


def default_critic_config(**overrides) -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict(
        {
            "hidden_dims": (256, 256),
            "activation": "relu",
            "layer_norm": False,
            "num_qs": 2,
            "q_lr": 3e-4,
            "v_lr": 3e-4,
            "value_loss": "expectile",  # expectile | quantile | exponential
            # the most exp(αu) weighs in the exponential loss's gradient (IDQL's code: 6; inf: the
            # paper's plain linex gradient)
            "exponential_weight_cap": 6.0,
            "discount": 0.99,
            "tau": 0.005,  # EMA rate of the target Q
        }
    )
    config.update(overrides)
    return config


class IQLCritic(flax.struct.PyTreeNode):
    q: TrainState
    target_q_params: dict
    v: TrainState
    value_loss_kind: str = flax.struct.field(pytree_node=False)
    discount: float = flax.struct.field(pytree_node=False)
    tau: float = flax.struct.field(pytree_node=False)
    exponential_weight_cap: float = flax.struct.field(pytree_node=False, default=6.0)

    @classmethod
    def create(cls, rng: jax.Array, observations: jnp.ndarray, actions: jnp.ndarray, config) -> "IQLCritic":
        if config.value_loss not in VALUE_LOSSES:
            raise ValueError(
                f"Unknown critic.value_loss {config.value_loss!r}; choose one of {VALUE_LOSSES}."
            )
        q_key, v_key = jax.random.split(rng)
        act = activation_by_name(config.activation)
        hidden = tuple(config.hidden_dims)
        q_net = q_ensemble(config.num_qs, hidden, config.activation, config.layer_norm)
        v_net = StateValue(hidden, act, config.layer_norm)
        q_params = q_net.init(q_key, observations, actions)
        return cls(
            q=new_train_state(q_net, q_params, make_optimizer(config.q_lr)),
            target_q_params=jax.tree.map(jnp.copy, q_params),
            v=new_train_state(v_net, v_net.init(v_key, observations), make_optimizer(config.v_lr)),
            value_loss_kind=config.value_loss,
            exponential_weight_cap=float(config.get("exponential_weight_cap", 6.0)),
            discount=config.discount,
            tau=config.tau,
        )

    def target_q(self, observations: jnp.ndarray, actions: jnp.ndarray) -> jnp.ndarray:
        """min_i Q̄_i(s, a) from the target parameters."""
        return self.q.apply_fn(self.target_q_params, observations, actions).min(axis=0)

    def value(self, observations: jnp.ndarray) -> jnp.ndarray:
        return self.v.apply_fn(self.v.params, observations)

    def advantage(self, observations: jnp.ndarray, actions: jnp.ndarray) -> jnp.ndarray:
        return self.target_q(observations, actions) - self.value(observations)

    def update(self, batch: dict, hparams: dict) -> tuple["IQLCritic", dict]:
        target_q = self.target_q(batch["observations"], batch["actions"])

        def v_loss_fn(params):
            v = self.v.apply_fn(params, batch["observations"])
            u = target_q - v
            cap = self.exponential_weight_cap
            loss = value_loss(self.value_loss_kind, u, hparams, cap).mean()
            capped = capped_fraction(self.value_loss_kind, u, hparams, cap)
            return loss, {"loss": loss, "v": v.mean(), "advantage": u.mean(), "capped_fraction": capped}

        v_grads, v_info = jax.grad(v_loss_fn, has_aux=True)(self.v.params)
        v_state = self.v.apply_gradients(grads=v_grads)

        next_v = v_state.apply_fn(v_state.params, batch["next_observations"])
        target = batch["rewards"] + self.discount * batch["masks"] * next_v

        def q_loss_fn(params):
            qs = self.q.apply_fn(params, batch["observations"], batch["actions"])
            loss = jnp.square(qs - target).mean(axis=1).sum()
            return loss, {"loss": loss, "q": qs.mean()}

        q_grads, q_info = jax.grad(q_loss_fn, has_aux=True)(self.q.params)
        q_state = self.q.apply_gradients(grads=q_grads)
        critic = self.replace(
            q=q_state,
            v=v_state,
            target_q_params=ema(q_state.params, self.target_q_params, self.tau),
        )
        return critic, infos.merge(infos.group("value", v_info), infos.group("critic", q_info))
