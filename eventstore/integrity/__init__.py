"""eventstore/integrity."""
