"""The web app: server-rendered pages for operators and admins, and the JSON API for other systems.

A thin edge: every page and API call opens one unit of work and calls the same services as the CLI.
"""
