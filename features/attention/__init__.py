"""What needs a person now, across every client: failed executions, changes the carrier accepted but
does not show yet, SIMs out of line with the carrier. The operator's start page, its JSON twin, and the
count in the navigation bar."""
