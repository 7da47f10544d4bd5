"""The opsagent command line: try the agent's tools before deploying, price the stack, and
check an account before `make deploy` (README: "The opsagent CLI").

The CLI runs from a checkout (`make install` puts the `opsagent` script in `.venv/bin`). The
runtime packages it drives live where Lambda expects them (`lambdas/<name>/`,
`action_groups/<name>/`, each importable at top level, as the tests import them), so the
checkout's folders go on `sys.path` here, once, before any command imports them.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
RUNTIME_ROOTS = (REPO_ROOT / "lambdas", REPO_ROOT / "action_groups")

for _root in (REPO_ROOT, *RUNTIME_ROOTS):
    if str(_root) not in sys.path:
        sys.path.insert(0, str(_root))
