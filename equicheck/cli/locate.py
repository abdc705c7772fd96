"""equicheck locate: layer-by-layer localisation from the command line."""
