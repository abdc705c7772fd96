"""The layers section of a report: a localisation's per-layer errors."""
