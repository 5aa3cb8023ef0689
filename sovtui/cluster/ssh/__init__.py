"""SSH tunnels to dashboards sovtui cannot reach directly (`--via`, a context's `via`)."""
