"""A process's configuration, read from COMMISSIONER_* environment variables and .env (``environment.py``),
its logging (``logs.py``) and its secrets at rest (``secrets.py``).

Not the centre's system settings, which admins change at run time: those are in centre/system_settings.py.
"""

from config.environment import Config, get_config

__all__ = ["Config", "get_config"]
