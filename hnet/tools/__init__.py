"""Command-line tools around the library (not imported by it): ``bench`` and its parts
(``bench_common``, ``bench_cifar``, ``bench_packing``, ``bench_pm100``: measured costs), ``plan`` and
``plan_report`` (the cost model of a configured DAG), ``embedding_grid`` (the paper's Fig. 4 grid),
``ent_study`` and ``ent_diagnostics`` (the HNET+ENT gap study)."""
