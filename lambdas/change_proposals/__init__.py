"""The cost-actions tools' logic: turn a request into a proposal, or refuse it with the reason.

One module per kind of change: read the resource (Describe* only) -> decide, purely, whether a
change makes sense and what it saves (with the cost-insights pricing code) -> store a pending
proposal. Nothing here changes the account: the approvals function runs a proposal after a
person approves it in Slack.
"""
