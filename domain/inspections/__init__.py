"""Inspections of a fund or an organization subtree: findings and rectifications."""
