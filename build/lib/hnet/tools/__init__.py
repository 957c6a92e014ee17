"""Command-line tools around the library (not imported by it): ``bench`` (measured costs),
``ent_study`` and ``ent_diagnostics`` (the HNET+ENT gap study)."""
