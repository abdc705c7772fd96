"""equicheck sweep: run a sweep file."""
