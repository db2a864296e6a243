"""Read models (one module per table), the projection runner and the log notifier."""
