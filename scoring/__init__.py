"""Cluster x place metrics and the investment-potential score."""
