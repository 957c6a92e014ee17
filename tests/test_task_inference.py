import torch

from hnet.benchmarks import Scenario
from hnet.methods.ent import HNETEntropy, entropy, head_logits, select_by_entropy
from tests.helpers import context, run_argv


def test_entropy_selection_picks_the_confident_head():
    # 3 candidate tasks, 4 samples, 2 classes per head. Sample n is confidently classified by task n % 3.
    heads = torch.zeros(3, 4, 2)
    heads[0, 0] = torch.tensor([9.0, 0.0])
    heads[1, 1] = torch.tensor([0.0, 9.0])
    heads[2, 2] = torch.tensor([9.0, 0.0])
    heads[0, 3] = torch.tensor([0.0, 9.0])
    chosen, local = select_by_entropy(heads)
    assert chosen.tolist() == [0, 1, 2, 0]
    assert local.tolist() == [0, 1, 0, 1]
    assert abs(entropy(torch.zeros(2)).item() - torch.log(torch.tensor(2.0)).item()) < 1e-6


def test_entropy_ranks_very_confident_heads_instead_of_tying_them():
    # Margins 110 and 120: both entropies underflow to 0 in float32, which would hand the input to
    # the first task; the more confident second network must win.
    heads = torch.tensor([[[110.0, 0.0]], [[0.0, 120.0]]])
    assert float(torch.log_softmax(heads, -1).exp()[0, 0, 1] * 110) == 0.0  # the float32 underflow
    chosen, local = select_by_entropy(heads)
    assert chosen.tolist() == [1] and local.tolist() == [1]


def test_head_logits_take_each_tasks_own_head():
    out = torch.arange(2 * 1 * 6, dtype=torch.float).reshape(2, 1, 6)  # 2 tasks, heads of 3 units
    heads = head_logits(out, per_task=3, shared_head=False)
    assert heads[0, 0].tolist() == [0, 1, 2] and heads[1, 0].tolist() == [9, 10, 11]


def test_scenario_outputs_encode_the_inferred_class():
    out = Scenario("cl3", 5, 2).inferred_outputs(torch.tensor([2, 0]), torch.tensor([1, 0]))
    assert out.argmax(1).tolist() == [5, 0]
    out = Scenario("cl2", 5, 2).inferred_outputs(torch.tensor([2, 0]), torch.tensor([1, 0]))
    assert out.shape == (2, 2) and out.argmax(1).tolist() == [1, 0]


def _trained(scenario):
    torch.manual_seed(0)
    ctx = context(scenario, n_tasks=3)
    m = HNETEntropy(ctx)
    for t in range(3):
        m.begin_task(t)
        task = ctx.benchmark.tasks[t]
        for _ in range(5):
            m.train_step(task.x_train, task.y_train, torch.full((16,), t), t + 1)
        m.end_task(t, None)
    return m, ctx


def test_batched_and_per_sample_entropy_inference_agree_exactly():
    for scenario in ("cl3", "cl2"):
        m, ctx = _trained(scenario)
        x = torch.cat([t.x_test for t in ctx.benchmark.tasks])
        chosen, local = m.infer(x, 3)
        ref_chosen, ref_local = m.infer_per_sample(x, 3)
        assert torch.equal(chosen, ref_chosen) and torch.equal(local, ref_local)
        assert len(set(chosen.tolist())) > 1  # a non-trivial case


def test_prediction_ignores_the_given_task_identity():
    m, ctx = _trained("cl3")
    x = ctx.benchmark.tasks[1].x_test
    assert torch.equal(m.predictor(0)(x), m.predictor(2)(x))


# -- HNET+R / HNET+TIR ----------------------------------------------------------------------------

REPLAY_CFG = {
    "vae_enc_hidden": [12],
    "vae_dec_hidden": [10],
    "vae_latent": 3,
    "vae_hnet_type": "chunked",
    "vae_hnet_hidden": [6],
    "vae_hnet_activation": "elu",
    "vae_emb_dim": 3,
    "vae_chunk_emb_dim": 2,
    "vae_chunk_size": 40,
    "vae_beta": 0.05,
    "vae_lookahead": True,
    "vae_reg_impl": "gram",
    "vae_reg_targets": "stored",
    "vae_reg_subset": 0,
    "vae_hnet_from_scratch": False,
    "distill_temperature": 2.0,
    "tir_hidden": [8],
    "lr": 0.01,
}


def _vae_decoder_drift(beta):
    from hnet.methods.vae import HyperVAE

    torch.manual_seed(0)
    ctx = context("cl3", n_tasks=2, **{**REPLAY_CFG, "vae_beta": beta})
    vae = HyperVAE(4, 2, ctx.cfg, torch.device("cpu"))
    data = [torch.rand(16, 4), torch.rand(16, 4).pow(4)]
    vae.begin_task(0)
    for _ in range(50):
        vae.train_step(data[0], 0)
    vae.end_task(0)
    before = vae.ph.weights_for(0).clone()
    vae.begin_task(1)
    for _ in range(200):
        vae.train_step(data[1], 1)
    return (vae.ph.weights_for(0) - before).norm() / before.norm()


def test_vae_decoder_weights_of_an_old_task_stay_while_a_new_task_is_learned():
    protected, unprotected = _vae_decoder_drift(1.0), _vae_decoder_drift(0.0)
    assert protected < 0.02
    assert unprotected > 10 * protected


def test_replay_batches_have_the_intended_size_and_labels():
    from hnet.methods.replay import HNETReplay
    from hnet.methods.vae import replay_tasks

    torch.manual_seed(0)
    tasks = replay_tasks(1000, 3, "cpu")
    assert len(tasks) == 1000 and set(tasks.tolist()) == {0, 1, 2}
    ctx = context("cl3", n_tasks=3, **REPLAY_CFG)
    m = HNETReplay(ctx)
    for t in range(2):
        m.begin_task(t)
        task = ctx.benchmark.tasks[t]
        m.train_step(task.x_train, task.y_train, torch.full((16,), t), t + 1)
        m.end_task(t, None)
    m.begin_task(2)
    x, labels, teacher = m.replay_batch(32)
    assert x.shape == (32, 4) and labels.shape == (32,) and set(labels.tolist()) <= {0, 1}
    assert teacher.shape == (32, 4)  # CL3: soft targets over the 2 x 2 classes the teacher knew
    assert torch.all((x >= 0) & (x <= 1))


def test_tir_output_grows_one_unit_per_task():
    from hnet.methods.tir import HNETTaskInference

    torch.manual_seed(0)
    ctx = context("cl3", n_tasks=3, **REPLAY_CFG)
    m = HNETTaskInference(ctx)
    x = ctx.benchmark.tasks[0].x_train
    for t in range(3):
        m.begin_task(t)
        for _ in range(3):
            task = ctx.benchmark.tasks[t]
            m.train_step(task.x_train, task.y_train, torch.full((16,), t), t + 1)
        m.end_task(t, None)
        mask, _ = m.tir_scenario.mask_and_target(
            torch.zeros(1, dtype=torch.long), torch.zeros(1, dtype=torch.long), t + 1
        )
        assert int(mask.sum()) == t + 1  # active task-inference units after t + 1 tasks
        chosen, _ = m.infer(x, t + 1)
        assert int(chosen.max()) <= t


def test_distillation_gives_new_classes_zero_target_probability():
    from hnet.core.losses import distillation_loss

    teacher = torch.tensor([[2.0, 0.0]])
    p = torch.softmax(teacher / 2, 1)
    with_new = torch.tensor([[2.0, 0.0, 5.0]])
    by_hand = -(p * torch.log_softmax(with_new / 2, 1)[:, :2]).sum() * 4
    torch.testing.assert_close(distillation_loss(with_new, teacher, 2.0), by_hand)
    # a confident new class on an old input costs more than no new class at all
    assert distillation_loss(with_new, teacher, 2.0) > distillation_loss(teacher, teacher, 2.0)


def test_ent_diagnostics_reports_the_task_confusion(synthetic_mnist, tmp_path, capsys):
    from hnet.run.cli import main
    from hnet.tools.ent_diagnostics import main as diagnose

    out = tmp_path / "ent"
    sets = ["iterations=30", "target_hidden=[20]", "hnet_hidden=[8]", "emb_dim=4", "chunk_emb_dim=4", "chunk_size=5000"]
    assert (
        main(
            run_argv("split_mnist", "cl3", "hnet_ent", 1, out, synthetic_mnist, sets, "--keep-checkpoint", device=None)
        )
        == 0
    )
    capsys.readouterr()
    assert diagnose([str(out), "--data-dir", str(synthetic_mnist), "--temperatures", "2"]) == 0
    text = capsys.readouterr().out
    assert "task inference accuracy" in text and "accuracy with oracle task" in text
    import json

    final = json.loads((out / "metrics.json").read_text())["final_mean"]
    reported = float(text.split("accuracy, inferred task")[1].split("%")[0])
    assert abs(reported - final) < 0.5  # same evaluation as the run's own
