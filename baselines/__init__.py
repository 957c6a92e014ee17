"""Continual-learning baselines, one module each, discovered by ``hnet.registry`` (every module of
this package is imported; no list to edit).

To add one: create ``baselines/<name>.py`` with a subclass of ``hnet.core.TargetNetMethod`` (or
``hnet.core.Method``) whose ``name`` is ``<name>`` and whose ``settings`` declare what it reads
(``hnet.settings.Setting``: type, constraint, default or ``REQUIRED``); give the ``REQUIRED`` values,
with their sources, under ``methods: <name>:`` in each ``hnet/presets/<benchmark>.yaml`` it runs on;
add ``<name>`` to the workflow config's ``methods`` list.
"""
