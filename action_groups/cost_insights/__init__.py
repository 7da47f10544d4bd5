"""The cost-insights action group: read-only cost tools for the Bedrock Agent."""
