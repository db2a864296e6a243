"""Earmarked community funds: allocations, projects, payments, the year's close."""
