"""Readers that turn source files into a company base that follows the contract."""
