"""Experiments on the blacklist spiral model: scenarios, runs, measures, figures and the CLI."""
