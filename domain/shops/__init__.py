"""Demonstration shops (党员示范店): yearly selection rounds, plaques, scores, complaints, revocation."""
