"""Example third-party ``select_backend`` hook for synnefo: ``static-scheduler``."""
