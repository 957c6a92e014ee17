"""Fine-tuning: one network trained task after task with no protection (the lower bound)."""

from hnet.methods import TargetNetMethod, register


@register
class Finetune(TargetNetMethod):
    name = "finetune"
