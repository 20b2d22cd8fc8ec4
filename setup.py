from setuptools import find_namespace_packages, setup

INSTALL_REQUIRES = [
    "pluggy>=1.5",
    "stevedore>=5.1",
    "pyramid>=2.0",
    "waitress>=3.0",
    "plaster_pastedeploy>=1.0",
    "PasteDeploy>=3.1",
    "SQLAlchemy>=2.0.30",
    "alembic>=1.13",
    "psycopg[binary]>=3.1",
    "PyMySQL>=1.1",
    "kombu>=5.3",
    "requests>=2.31",
    "colander>=2.0",
    "rich>=13.0",
    "inotify_simple>=1.3",
    "python-daemon>=3.0",
    "pycryptodome>=3.19",
    "psutil>=5.9",
    "orjson>=3.9",
    "cachetools>=5.3",
]

TEST_REQUIRES = [
    "pytest>=8.0",
    "pytest-timeout>=2.2",
    "WebTest>=3.0",
    "hypothesis>=6.100",
    "openstacksdk>=3.0",
    "python-novaclient>=18.0",
    "python-openstackclient>=6.0",
    "vncdotool>=1.2",
    "trustme>=1.1",
]

ENTRY_POINTS = {
    "paste.app_factory": ["main = synnefo.web:main"],
    "console_scripts": [
        "snf-manage = synnefo.daemons.manage:main",
        "snf-dispatcher = synnefo.daemons.dispatcher:main",
        "snf-ganeti-eventd = synnefo.daemons.eventd:main",
        "snf-ganeti-hook = synnefo.daemons.ganeti_hook:main",
        "snf-vncauthproxy = synnefo.daemons.vncauthproxy:main",
    ],
    "synnefo.backend_drivers": [
        "fake = synnefo.plugins.backends.fake:FakeDriver",
        "ganeti = synnefo.plugins.backends.ganeti:GanetiDriver",
    ],
    "synnefo.console_proxies": [
        "fake = synnefo.plugins.consoles.fake:FakeConsoleProxy",
        "vncauthproxy = synnefo.plugins.consoles.vncauthproxy:VncAuthProxyConsole",
    ],
    "synnefo.message_handlers": [
        "ganeti-op-status = synnefo.plugins.handlers.op_status:OpStatusHandler",
        "ganeti-net-status = synnefo.plugins.handlers.net_status:NetStatusHandler",
        "ganeti-create-progress = synnefo.plugins.handlers.progress:CreateProgressHandler",
    ],
    "synnefo.hooks": [
        "default-scheduler = synnefo.plugins.hooks.scheduler",
        "audit-log = synnefo.plugins.hooks.audit",
    ],
}

setup(
    name="synnefo",
    version="0.1.0",
    description="OpenStack-compatible Compute API and control plane for Ganeti clusters",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="GPL-3.0-or-later",
    python_requires=">=3.11",
    packages=find_namespace_packages(include=["synnefo", "synnefo.*"]),
    include_package_data=True,
    package_data={"synnefo": ["core/db/migrations/*.py", "core/db/migrations/versions/*.py",
                              "core/db/migrations/*.mako", "web/*.json"]},
    install_requires=INSTALL_REQUIRES,
    extras_require={"test": TEST_REQUIRES},
    entry_points=ENTRY_POINTS,
)
