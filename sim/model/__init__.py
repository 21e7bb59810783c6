"""Model layer: the Mesa model, its year schedule, the pure step rules and the indicators (with the top-level ``agents`` package)."""
