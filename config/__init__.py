"""Configuration: one settings object, read from COMMISSIONER_* environment variables and .env."""

from config.settings import Settings, get_settings

__all__ = ["Settings", "get_settings"]
