"""The audit trail as the fund's administrators and auditors read it (pages, API, lists).

Above auth, which decides who may read it; the recorder itself (``creditline.audit``) sits below
every package, auth included, since each of them writes events.
"""
