"""Actions on graphs: node features, adjacency, edge_index, edge features under node permutations."""
