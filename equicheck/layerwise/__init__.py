"""Layer-by-layer localisation: which layer of a network breaks equivariance
(docs/locate.md)."""
