"""Developer tools: the benchmark (``spiral bench``), the ODD generator and the results checksums."""
