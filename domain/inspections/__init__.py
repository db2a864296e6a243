"""domain/inspections."""
