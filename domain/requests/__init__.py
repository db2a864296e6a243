"""Residents' requests: the closed loop from the grid to a department and back (issue 14)."""
