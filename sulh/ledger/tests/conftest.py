"""Markers of the ledger's tests."""


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "crash: kills a real `sulh serve` mid-burst and checks the log afterwards (~20-40 s; deselect with -m 'not crash')",
    )
