"""Small helpers every layer may use: paths, YAML, text safety, formatting."""
