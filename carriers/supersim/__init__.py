"""Super SIM over its REST API, on Twilio's host or KORE's: communicator type kinds ``supersim`` (Basic
auth: Account SID and auth token) and ``supersim-oauth2`` (KORE's OAuth2 client credentials).

``client.py`` makes the calls, ``oauth.py`` trades KORE's client credentials for a token, ``codes.py``
explains its errors, ``statuses.py`` holds its statuses and rules, ``platform.py`` plugs both kinds into
the carrier layer.
"""

from carriers.supersim.platform import KIND, OAUTH2_KIND, SuperSim, SuperSimOAuth2

PLATFORM = SuperSim()
OAUTH2_PLATFORM = SuperSimOAuth2()

__all__ = ["KIND", "OAUTH2_KIND", "OAUTH2_PLATFORM", "PLATFORM"]
