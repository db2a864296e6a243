"""Residents' requests' part of the schema."""
