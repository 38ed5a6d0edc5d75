"""One module per provider family; each exposes ``verify(settings, request, now) -> Verdict``.

Every check reads the raw body bytes as received and never raises on malformed input: a
request it cannot make sense of is ``Rejected`` with a reason that names no secret.
"""
