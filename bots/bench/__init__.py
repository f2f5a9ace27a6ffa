"""Benchmarks of the running server (`hkbot bench serve`, `bench load`) and their load client."""
