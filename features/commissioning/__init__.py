"""Patriot's Jasper task: activate or deactivate each SIM on a client's add-on devices when the client
is commissioned or decommissioned, confirmed by reading it back."""
