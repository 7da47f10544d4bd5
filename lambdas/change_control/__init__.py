"""Changes with a person in the loop: proposals, their approval rules, their Slack messages.

The cost-actions tools create proposals; only the approvals function moves one past `pending`,
and only after an allowed approver clicked Approve on a proposal that is still pending,
unexpired and whose resource is unchanged since it was proposed.
"""
