"""Network building blocks shared by every agent."""

from jaxdiffrl.networks.critics import Ensemble, StateActionValue, StateValue, q_ensemble
from jaxdiffrl.networks.embeddings import FourierFeatures, SinusoidalEmbedding
from jaxdiffrl.networks.mlp import MLP, MLPResNet, activation_by_name
from jaxdiffrl.networks.policies import GaussianPolicy
from jaxdiffrl.networks.score_nets import DiffusionActorNet

__all__ = [
    "MLP",
    "MLPResNet",
    "activation_by_name",
    "SinusoidalEmbedding",
    "FourierFeatures",
    "StateValue",
    "StateActionValue",
    "Ensemble",
    "q_ensemble",
    "GaussianPolicy",
    "DiffusionActorNet",
]
