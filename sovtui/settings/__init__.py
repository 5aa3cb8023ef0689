"""Settings: the model (no heavy imports), its sources and their validation."""
