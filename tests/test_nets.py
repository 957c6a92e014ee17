import math

import pytest
import torch

from hnet.nets import MLP, HyperNetwork


def test_mlp_param_shapes_and_count():
    net = MLP(4, [3, 5], 2, "relu")
    assert net.param_shapes == [(3, 4), (3,), (5, 3), (5,), (2, 5), (2,)]
    assert net.num_params == 4 * 3 + 3 + 3 * 5 + 5 + 5 * 2 + 2


def test_mlp_flat_and_list_weights_agree_with_torch_layers():
    torch.manual_seed(0)
    net = MLP(4, [3], 2, "tanh")
    params = net.init_params()
    flat = torch.cat([p.flatten() for p in params])
    x = torch.randn(6, 4)
    expected = torch.tanh(x @ params[0].T + params[1]) @ params[2].T + params[3]
    torch.testing.assert_close(net(x, params), expected)
    torch.testing.assert_close(net(x, flat), expected)


def test_mlp_batched_weights_equal_one_network_at_a_time():
    torch.manual_seed(0)
    net = MLP(4, [3, 3], 2, "elu")
    weights = torch.randn(5, net.num_params)
    x = torch.randn(7, 4)
    batched = net(x, weights)
    assert batched.shape == (5, 7, 2)
    for k in range(5):
        torch.testing.assert_close(batched[k], net(x, weights[k]))


def test_hypernetwork_parameter_counts():
    h = HyperNetwork(target_numel=100, emb_dim=3, hidden=[4, 5], chunk_size=30, chunk_emb_dim=2)
    assert h.n_chunks == 4 and h.last_chunk_rows == 10
    expected = (3 + 2) * 4 + 4 + 4 * 5 + 5 + 5 * 30 + 30 + 4 * 2
    assert h.num_params() == expected
    full = HyperNetwork(target_numel=100, emb_dim=3, hidden=[4, 5])
    assert full.n_chunks == 1 and full.num_params() == 3 * 4 + 4 + 4 * 5 + 5 + 5 * 100 + 100


def test_chunked_output_reproduces_the_unchunked_layout():
    """Chunk j of the output is the output layer applied to [e; c_j], placed at [j*s, (j+1)*s)."""
    torch.manual_seed(0)
    h = HyperNetwork(target_numel=23, emb_dim=3, hidden=[4], act="relu", chunk_size=10, chunk_emb_dim=2)
    e = torch.randn(2, 3)
    out = h(e)
    assert out.shape == (2, 23)
    for k in range(2):
        pieces = []
        for j in range(h.n_chunks):
            inp = torch.cat([e[k], h.chunk_emb[j]])
            hid = torch.relu(h.hidden[0](inp))
            pieces.append(h.out(hid))
        torch.testing.assert_close(out[k], torch.cat(pieces)[:23])


def test_chunk_size_at_least_target_is_the_full_hypernetwork():
    h = HyperNetwork(target_numel=20, emb_dim=3, hidden=[4], chunk_size=50, chunk_emb_dim=2)
    assert h.n_chunks == 1 and h.chunk_emb is None and h.out.out_features == 20


def test_initialisation_xavier_zero_bias_normal_chunk_embeddings():
    torch.manual_seed(0)
    h = HyperNetwork(target_numel=5000, emb_dim=8, hidden=[16, 32], chunk_size=100, chunk_emb_dim=64)
    for layer in [*h.hidden, h.out]:
        fan_out, fan_in = layer.weight.shape
        bound = math.sqrt(6 / (fan_in + fan_out))
        assert layer.weight.abs().max() <= bound
        assert layer.weight.abs().max() > 0.9 * bound
        assert torch.all(layer.bias == 0)
    assert abs(h.chunk_emb.mean().item()) < 0.05 and abs(h.chunk_emb.std().item() - 1) < 0.05


def test_torch_default_initialisation_is_kaiming_uniform_with_uniform_biases():
    # the authors' toy-regression hypernetwork: weights and biases both in +-1/sqrt(fan_in)
    torch.manual_seed(0)
    h = HyperNetwork(target_numel=5000, emb_dim=8, hidden=[16, 32], init="torch_default")
    for layer in [*h.hidden, h.out]:
        bound = 1 / math.sqrt(layer.weight.shape[1])
        for t in (layer.weight, layer.bias):
            assert t.abs().max() <= bound and t.abs().max() > 0.9 * bound
    with pytest.raises(ValueError, match="xavier"):
        HyperNetwork(target_numel=10, emb_dim=2, hidden=[4], init="orthogonal")


@pytest.mark.parametrize("name", ["relu", "elu", "sigmoid", "tanh", "linear"])
def test_activations_exist(name):
    MLP(2, [2], 1, name)


def test_unknown_activation_lists_valid_ones():
    with pytest.raises(ValueError, match="valid"):
        MLP(2, [2], 1, "swish")
