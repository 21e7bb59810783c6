"""Engine layer: designs, workers, executors, the runner and the Parquet result store."""
