"""snf-vncauthproxy: lets a user's VNC client reach a VM's console with a one-time password.

Modules: ``daemon`` (control endpoint + forwardings table), ``forwarding`` (one port, one
client), ``handshake``/``rfb`` (RFB protocol), ``relay``, ``policy`` (allowed destinations),
``ports``, ``config`` (options), ``cli`` (the console script). The JSON control protocol and
its client live in ``synnefo.protocols.vncauthproxy``, shared with the console proxy plugin.
"""


def main(argv=None) -> int:
    """Entry point of the ``snf-vncauthproxy`` console script."""
    from synnefo.daemons.vncauthproxy.cli import main as cli_main
    return cli_main(argv)
