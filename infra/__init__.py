"""Infrastructure: CDK constructs, stacks and settings."""
