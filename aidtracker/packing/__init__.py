"""Packing units: pallets, boxes and crates, their labels, and receipt unit by unit."""
