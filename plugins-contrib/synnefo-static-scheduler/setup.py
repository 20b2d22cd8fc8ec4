from setuptools import find_packages, setup

setup(
    name="synnefo-static-scheduler",
    version="0.1.0",
    description="Example synnefo hook plugin: pin servers to a backend by flavor name",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="GPL-3.0-or-later",
    python_requires=">=3.11",
    packages=find_packages(include=["synnefo_static_scheduler", "synnefo_static_scheduler.*"]),
    install_requires=["synnefo>=0.1.0", "colander>=2.0"],
    extras_require={"test": ["pytest>=8.0", "WebTest>=3.0"]},
    entry_points={
        "synnefo.hooks": ["static-scheduler = synnefo_static_scheduler.scheduler:StaticScheduler"],
    },
)
