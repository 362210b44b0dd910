"""What IDQL, ACD and ACG share: an IQL critic trained beside (or before) an actor.

``schedule="sequential"`` trains the critic for ``critic_fraction`` of ``max_steps``, then the
actor; ``"interleaved"`` does one critic step on the first ``batch_size`` rows and one actor step
on the whole actor batch every update (ACD's Algorithm 1). Agents using this mixin define
``update_actor`` and have fields ``critic`` (an ``IQLCritic``), ``hparams``, ``critic_batch_size``,
``actor`` with its EMA ``target_actor_params`` (rate ``actor_tau``; IDQL's reference code averages
its behaviour model at 0.001 and samples evaluation candidates from that slow copy) and
``act_with`` (``target`` or ``online``: which of the two acts).
"""

import jax
import ml_collections

from jaxdiffrl.agents import infos
from jaxdiffrl.agents.optimization import ema
from jaxdiffrl.agents.phases import Phase

SCHEDULES = ("sequential", "interleaved")
ACT_WITH = ("target", "online")


def check_act_with(value: str) -> None:
    if value not in ACT_WITH:
        raise ValueError(f"Unknown agent.act_with {value!r}; choose one of {ACT_WITH}.")


class CriticThenActor:
    """Phases, the critic step and the interleaved step of a critic + actor agent (a mixin)."""

    @classmethod
    def phases(cls, config: ml_collections.ConfigDict) -> tuple[Phase, ...]:
        agent = config.agent
        if agent.schedule not in SCHEDULES:
            raise ValueError(f"Unknown agent.schedule {agent.schedule!r}; choose one of {SCHEDULES}.")
        if agent.schedule == "interleaved":
            return (Phase("train", config.max_steps, cls.update, agent.actor_batch_size),)
        critic_steps = round(config.max_steps * agent.critic_fraction)
        phases = (
            Phase("critic", critic_steps, cls.update_critic, config.batch_size),
            Phase("actor", config.max_steps - critic_steps, cls.update_actor, agent.actor_batch_size),
        )
        return tuple(p for p in phases if p.steps > 0)

    @classmethod
    def actor_steps(cls, config: ml_collections.ConfigDict) -> int:
        """How many updates the actor gets (the length of its learning-rate decay)."""
        return sum(p.steps for p in cls.phases(config) if p.update is not cls.update_critic)

    @property
    def acting_params(self):
        """The actor parameters that act: the slow EMA copy (``act_with="target"``) or the online ones."""
        return self.target_actor_params if self.act_with == "target" else self.actor.params

    def with_actor(self, actor, **changes):
        """The agent with its actor stepped, and the actor's EMA target moved toward it."""
        target = ema(actor.params, self.target_actor_params, self.actor_tau)
        return self.replace(actor=actor, target_actor_params=target, **changes)

    def update_critic(self, batch: dict):
        critic, info = self.critic.update(batch, self.hparams)
        return self.replace(critic=critic), info

    def update(self, batch: dict):
        """Interleaved: a critic step on the first ``critic_batch_size`` rows, then an actor step on
        the whole batch (for ACD, labelled by the critic just updated)."""
        critic_batch = jax.tree.map(lambda x: x[: self.critic_batch_size], batch)
        agent, critic_info = self.update_critic(critic_batch)
        agent, actor_info = agent.update_actor(batch)
        return agent, infos.merge(critic_info, actor_info)
