"""Scripts that record real Ray answers into tests/data/recorded (run each by its path)."""
