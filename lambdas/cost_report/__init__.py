"""The daily cost report: yesterday's spend, posted to Slack as a Chatbot custom notification."""
