"""The matrix view of a sweep: targets x groups, a verdict in each cell."""
