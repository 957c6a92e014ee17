"""Fine-tuning: one network trained task after task with no protection (the lower bound)."""

from hnet.core import TargetNetMethod


class Finetune(TargetNetMethod):
    name = "finetune"
    packable = True
