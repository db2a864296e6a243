"""Read models (one module per table), their runtime (``runtime/``), the live feed
(``feed/``) and the outbound integrations (``integrations/``)."""
