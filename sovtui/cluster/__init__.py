"""Where clusters come from: the embedded head, address resolution, Compose on Docker (no Textual)."""
