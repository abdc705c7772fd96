"""Hypothesis strategies for point clouds (families that break real models)."""
