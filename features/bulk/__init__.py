"""Bulk commissioning: a CSV file of clients checked as a whole, then pressed row by row."""
