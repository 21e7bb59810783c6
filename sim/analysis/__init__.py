"""Analysis layer: targets, ensembles, comparisons, sweeps and sensitivity indices.

The top-level ``calibration`` package belongs to this layer too.
"""
