"""Sulh's benchmarks: `python -m bench` (or `make bench`). Results go to docs/benchmarks.md.

Every measurement runs against a real `sulh serve` process on 127.0.0.1, in a scratch data directory (and,
for PostgreSQL, a scratch database `sulh_bench`), over real HTTP with keep-alive connections.
"""
