"""Calibration: which parameter values are consistent with what was observed (ABC-SMC).

``spiral calibrate FILE.toml`` (:mod:`.command`) reads a calibration file (:mod:`.spec`), runs
pyabc's ABC-SMC on the model (:mod:`.model`, :mod:`.abc`) and writes the posterior, its
summary, the predictive check and the figures (:mod:`.outputs`). See docs/calibration.md.
"""
