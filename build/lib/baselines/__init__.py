"""Continual-learning baselines, one module each, discovered by ``hnet.methods``.

To add one: create ``baselines/<name>.py`` with a ``@register``-decorated subclass of
``hnet.methods.TargetNetMethod`` (or ``Method``) whose ``name`` is ``<name>``, and add
``<name>:`` with its hyperparameters under ``methods:`` in each ``config/presets/*.yaml`` it
supports (plus its name in the workflow config's method list).
"""
