"""Runtime code shared by every function: errors, environment settings, AWS clients.

Included once in every function's asset (infra/bundling.py). Nothing here imports `infra`.
"""
