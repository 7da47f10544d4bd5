"""Try-it samples: realistic incident notifications to rehearse asking the agent in Slack."""
