from setuptools import find_packages, setup

setup(
    name="synnefo-name-policy",
    version="0.1.0",
    description="Example synnefo hook plugins: a server-name policy (veto) and a JSON-lines audit",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="GPL-3.0-or-later",
    python_requires=">=3.11",
    packages=find_packages(include=["synnefo_name_policy", "synnefo_name_policy.*"]),
    install_requires=["synnefo>=0.1.0", "colander>=2.0"],
    extras_require={"test": ["pytest>=8.0", "WebTest>=3.0"]},
    entry_points={
        "synnefo.hooks": [
            "name-policy = synnefo_name_policy.policy:NamePolicy",
            "jsonl-audit = synnefo_name_policy.audit:JsonlAudit",
        ],
    },
)
