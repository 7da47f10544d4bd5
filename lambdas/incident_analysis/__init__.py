"""Incident analysis shared by the incident tools and the coming postmortem pipeline: alarms,
logs, recent changes, resources and their metrics, error signatures, past incidents."""
