"""The SIA DC-09 receiver: panels (or a centre's receivers) report over TCP and UDP, and each accepted
event is logged on its client through the pipeline, like every other signal.

- ``accounts.py``  a client's receiver account (account number, receiver and line, AES key at rest)
- ``mapping.py``   SIA codes and Contact ID qualifier+event to type numbers and zones (seeded, editable)
- ``store.py``     one message, one transaction: the signal, the duplicate check, the panel's timers
- ``server.py``    the asyncio TCP and UDP listeners on pysiaalarm's parser; ACK after the commit
- ``verify.py``    verified commissioning (first signal or silence) and test timers
"""
