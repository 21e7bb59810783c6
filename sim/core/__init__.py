"""Bottom layer: errors, repository paths, seeds. Imports nothing of the project."""
