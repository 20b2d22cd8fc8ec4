"""Example third-party hook plugins for synnefo: ``name-policy`` and ``jsonl-audit``."""
