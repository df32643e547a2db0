"""Funding: bank accounts, deposits with AML holds, withdrawals, transaction history."""
