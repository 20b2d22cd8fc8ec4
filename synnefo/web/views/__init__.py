"""View modules; each registers its views with ``@view_config`` and is picked up by a scan."""
