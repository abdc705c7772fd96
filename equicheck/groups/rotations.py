"""SO(3) and O(3): the one rotation type of 3-D (point clouds, volumes, the cube's symmetries)."""
