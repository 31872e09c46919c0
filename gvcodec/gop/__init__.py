"""Coding one GOP: its geometry, pixels, atom allocation, trajectory and the coder both sides share."""
