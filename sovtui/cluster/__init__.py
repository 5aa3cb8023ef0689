"""Where clusters come from: the embedded head and Compose on Docker (no Textual)."""
