"""Programs that run ON the Ray cluster. Only this package imports ray."""
