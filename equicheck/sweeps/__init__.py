"""Sweeps: many checks (targets x groups x actions x dtypes x seeds) run as one, on a
process pool or a Dask cluster, merged into one report (docs/sweeps.md)."""
