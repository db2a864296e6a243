"""The one projection runner, its supervisor, and rebuild."""
