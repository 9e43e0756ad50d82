"""The referral desk: each reason a proposal was referred becomes a task for the role that owns it."""
