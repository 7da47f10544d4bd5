"""The fixed sets of values incident tools accept, in a module light enough for a route file to
import at cold start (the routes validate against them with `parameters.one_of`)."""

# Incident severities in knowledge/ front matter, sev1 the most severe.
SEVERITIES = ("sev1", "sev2", "sev3", "sev4")
# The resource kinds whose metrics the incident tools read.
RESOURCE_TYPES = ("ec2", "rds", "lambda", "ecs")
