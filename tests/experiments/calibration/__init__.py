"""Tests of spiral calibrate."""
