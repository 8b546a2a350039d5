from sulh.incidents.tests.world import world  # noqa: F401  (fixture)
