"""PyTorch Geometric Data and Batch objects as inputs and outputs."""
