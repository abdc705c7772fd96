"""Hypothesis strategies for graphs (random, trees, regular, disconnected, isolated nodes)."""
