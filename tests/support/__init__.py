"""Shared test helpers: the scripted LiteLLM mock server and its pytest fixtures."""
