# The package is built from pyproject.toml (flit_core); this shim serves tools that still run setup.py.
import re
from pathlib import Path

from setuptools import find_packages, setup

version = re.search(r'__version__ = "(.+)"', Path("sms_log_app/__init__.py").read_text()).group(1)

setup(
	version=version,
	packages=find_packages(include=["sms_log_app", "sms_log_app.*"]),
	include_package_data=True,
	zip_safe=False,
)
