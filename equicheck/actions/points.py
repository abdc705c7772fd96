"""Actions on point clouds: positions, vectors, pseudovectors, tensors, irreps, point permutations."""
