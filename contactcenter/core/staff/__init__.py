"""Agents, teams, skills, roles, presence and business hours."""
