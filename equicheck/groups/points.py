"""Groups on coordinates: Euclidean motions and permutations of points or nodes."""
