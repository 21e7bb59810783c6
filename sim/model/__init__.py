"""Model layer: the Mesa model, its year schedule, the pure step rules and the indicators.

The top-level ``agents`` package belongs to this layer too.
"""
