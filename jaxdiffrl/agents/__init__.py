"""Agents: one file per algorithm, each a flax.struct.PyTreeNode with create / update / sample_actions."""
