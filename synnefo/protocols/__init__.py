"""Wire protocols shared by a daemon and the plugins that talk to it.

Modules here import only the standard library (and libraries ``synnefo.core`` already uses),
never ``synnefo.daemons``, ``synnefo.web`` or ``synnefo.plugins``, so both sides can import them.
"""
