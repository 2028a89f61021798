"""The SIM console: a client's SIMs read live from the carrier, and what staff ask of one SIM (status,
SMS, rate plan), carried out by the workers like commissioning."""
