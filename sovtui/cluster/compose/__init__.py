"""Ray clusters as Compose projects on Docker, through the Docker SDK."""
