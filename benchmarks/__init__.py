"""Benchmarks run by `make bench`: each prints a table and never fails on speed."""
