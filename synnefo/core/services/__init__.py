"""Domain services: take a unit of work and the core, never a request."""
