"""The official emnify SDK driving an emnify API (the simulator): run by the SDK's own interpreter,
``.venv/sdk/emnify/bin/python`` (it needs pydantic<2), never by pytest, which runs it as a subprocess.

    EMNIFY_SDK_API_ENDPOINT_URL=http://127.0.0.1:PORT/api python emnify_drive.py ICCID activate|suspend

The application token is read from standard input (never the command line). The SDK authenticates, the
SIM is found by its ICCID (the SDK's filter: 19 digits, without the check digit), its status changed, and
read back; one JSON line is printed: {"id", "before", "after"}.
"""

from __future__ import annotations

import json
import sys

from emnify import EMnify  # only in the SDK's venv
from emnify.modules.sim.models import SimFilter


def main(iccid_with_luhn: str, action: str) -> None:
    client = EMnify(app_token=sys.stdin.readline().strip())
    found = list(client.sim.get_sim_list(filter_model=SimFilter(iccid=iccid_with_luhn[:-1])))
    if len(found) != 1:
        raise SystemExit(f"expected one SIM with ICCID {iccid_with_luhn}, found {len(found)}")
    sim = found[0]
    if action == "activate":
        client.sim.activate_sim(sim.id)
    else:
        client.sim.suspend_sim(sim.id)
    after = client.sim.retrieve_sim(sim.id)
    print(json.dumps({"id": sim.id, "before": sim.status.description, "after": after.status.description}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
