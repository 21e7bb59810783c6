"""Inputs layer: region data, the parameter space, calibrated parameter draws."""
