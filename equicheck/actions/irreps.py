"""Irreducible representations of O(3) written as e3nn writes them, and their real Wigner-D matrices."""
