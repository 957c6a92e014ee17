"""Everything after training: tidy tables, the paper's figures and the reproduction report.

Pure functions of the run folders' metrics.json files; nothing here trains or loads a model.
"""
