"""Deterministic scenario capture generator for Bollard (see README.md here)."""
