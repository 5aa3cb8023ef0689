"""Stand-in so module presets validate in tests; never run."""
