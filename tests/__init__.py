"""The test suite is a package so that modules import each other as ``tests.*`` under pytest and mypy alike."""
