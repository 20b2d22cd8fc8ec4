from setuptools import find_packages, setup

setup(
    name="synnefo-example-handler",
    version="0.1.0",
    description="Example synnefo message handler: Ganeti instance tags become server metadata",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="GPL-3.0-or-later",
    python_requires=">=3.11",
    packages=find_packages(include=["synnefo_example_handler", "synnefo_example_handler.*"]),
    install_requires=["synnefo>=0.1.0", "colander>=2.0"],
    extras_require={"test": ["pytest>=8.0"]},
    entry_points={
        "synnefo.message_handlers": [
            "example-ganeti-tags = synnefo_example_handler:GanetiTagsHandler",
        ],
    },
)
