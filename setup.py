from setuptools import find_namespace_packages, setup

# What every role needs: settings, plugin loading, the bus, the spool, reading the .ini.
INSTALL_REQUIRES = [
    "pluggy>=1.5",
    "stevedore>=5.1",
    "colander>=2.0",
    "SQLAlchemy>=2.0.30",
    "kombu>=5.3",
    "plaster_pastedeploy>=1.0",
    "PasteDeploy>=3.1",
    "psutil>=5.9",
]

# One extra per node role (docs/deployment.md); tests/test_packaging.py checks each against the
# imports of its programs, and that a GANETI-MASTER (synnefo[ganeti]) gets no Pyramid.
DATABASE = ["alembic>=1.13", "psycopg[binary]>=3.1", "PyMySQL>=1.1"]
GANETI_SIDE = ["inotify_simple>=1.3", "python-daemon>=3.0"]
ROLE_EXTRAS = {
    "web": ["pyramid>=2.0", "waitress>=3.0", "requests>=2.31", *DATABASE],
    # snf-dispatcher and snf-manage (which also installs the Ganeti hooks, hence GANETI_SIDE)
    "logic": ["requests>=2.31", "rich>=13.0", *DATABASE, *GANETI_SIDE],
    "ganeti": GANETI_SIDE,
    "console": ["pycryptodome>=3.19"],
}
ALL_ROLES = sorted({req for reqs in ROLE_EXTRAS.values() for req in reqs})

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
    "import-linter>=2.1",
    "packaging>=23.0",
]

ENTRY_POINTS = {
    "paste.app_factory": [
        "main = synnefo.web:main",
        "development = synnefo.devserver:main",
    ],
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
    "synnefo.publishers": [
        "kombu = synnefo.messaging:make_publisher",
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
    extras_require={**ROLE_EXTRAS, "all": ALL_ROLES, "test": ALL_ROLES + TEST_REQUIRES},
    entry_points=ENTRY_POINTS,
)
