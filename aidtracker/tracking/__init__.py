"""Public tracking: a secret link per shipment that shows where it is, and nothing else."""
