"""Loans: terms, approval, disbursement, schedule, repayment and arrears."""
