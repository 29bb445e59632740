"""Funds and the cash donations paid into them, which buy the goods of purchased lines."""
