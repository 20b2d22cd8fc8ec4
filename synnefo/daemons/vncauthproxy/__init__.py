"""snf-vncauthproxy: lets a user's VNC client reach a VM's console with a one-time password.

Modules: ``control`` (JSON control protocol), ``daemon`` (control endpoint + forwardings table),
``forwarding`` (one port, one client), ``handshake``/``rfb`` (RFB protocol), ``relay``,
``policy`` (allowed destinations), ``ports``, ``config`` (options), ``client`` (the control
client the console proxy plugin uses), ``cli`` (the console script).
"""


def main(argv=None) -> int:
    """Entry point of the ``snf-vncauthproxy`` console script."""
    from synnefo.daemons.vncauthproxy.cli import main as cli_main
    return cli_main(argv)
