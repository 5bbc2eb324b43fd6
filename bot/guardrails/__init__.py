"""Guardrails that run on every question, outside any model: red flags, disagreements, scope.

Their rules are reviewed data in corpus/ (red_flags.yaml, conflicts.yaml, scope.yaml); the chain wires them in.
"""
