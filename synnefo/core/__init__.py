"""The core: settings, domain, database, services and plugin plumbing.

Nothing in here imports Pyramid or kombu; the web layer and the daemons build on it.
"""
