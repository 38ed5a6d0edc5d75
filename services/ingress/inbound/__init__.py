"""Inbound webhooks: requests that providers (GitHub, Stripe, Slack...) send to hookbus."""
