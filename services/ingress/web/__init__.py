"""The ingress's web plumbing: the hub handlers share, authentication and the portal gate,
errors, paging, the OpenAPI document and docs page, and reading audit."""
