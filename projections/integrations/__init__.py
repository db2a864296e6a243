"""Outbound integrations: the NATS JetStream relay and webhook delivery."""
