"""The fixed sets of values cost tools accept, in a module light enough for a route file to
import at cold start (the routes validate against them with `parameters.one_of`)."""

# Cost Explorer dimensions a cost summary may group by.
GROUP_BY = ("SERVICE", "REGION", "LINKED_ACCOUNT", "USAGE_TYPE")
# Savings Plans / Reserved Instance purchase recommendations.
TERMS = ("ONE_YEAR", "THREE_YEARS")
PAYMENT_OPTIONS = ("NO_UPFRONT", "PARTIAL_UPFRONT", "ALL_UPFRONT")
# Days of usage history -> Cost Explorer's LookbackPeriodInDays name.
LOOKBACK_PERIODS = {7: "SEVEN_DAYS", 30: "THIRTY_DAYS", 60: "SIXTY_DAYS"}
