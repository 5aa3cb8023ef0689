"""Programs that run ON the Ray cluster. Only this package (and the embedded head) uses ray."""
