"""Analysis layer: targets, ensembles, comparisons, sweeps and sensitivity indices (with the top-level ``calibration`` package)."""
