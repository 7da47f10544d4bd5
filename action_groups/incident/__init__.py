"""The incident action group: alarms, logs, recent changes, resources and past incidents."""
