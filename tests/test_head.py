"""The heads: torch and numpy agree, and the numpy gradients are the ones autograd gives."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnexplain.model.backprop import relative_error
from cnnexplain.model.head import HEADS, SigmoidHead, SoftmaxHead
from cnnexplain.model.spec import CNNSpec, ConvBlock, build_cnn

N = 7
CASES = {"softmax": 5, "sigmoid": 2}  # head: number of classes
TOL = 1e-12  # float64 agreement, relative to the largest value


def _batch(head: str, seed: int = 0, scale: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
    """(N, num_logits) float64 logits and (N,) labels for `head`."""
    K = CASES[head]
    rng = np.random.default_rng(seed)
    logits = scale * rng.standard_normal((N, HEADS[head].num_logits(K)))
    return logits, rng.integers(0, K, size=N)


def test_every_head_is_found_by_its_name():
    assert list(HEADS) == ["softmax", "sigmoid"]
    assert isinstance(HEADS["softmax"], SoftmaxHead)
    assert isinstance(HEADS["sigmoid"], SigmoidHead)
    assert all(head.name == name for name, head in HEADS.items())


@pytest.mark.parametrize("head", list(CASES))
def test_the_last_layer_gives_as_many_logits_as_the_head_takes(head):
    K = CASES[head]
    spec = CNNSpec(input_size=6, conv_blocks=(ConvBlock(2),), dense=(), num_classes=K, head=head)
    assert build_cnn(spec).logits.out_features == HEADS[head].num_logits(K)


@pytest.mark.parametrize("head", list(CASES))
def test_output_in_numpy_equals_torch(head):
    logits, _ = _batch(head)
    ours = HEADS[head].output_numpy(logits)
    reference = HEADS[head].output(torch.from_numpy(logits)).numpy()
    assert ours.shape == reference.shape == logits.shape
    assert relative_error(ours, reference) < TOL


@pytest.mark.parametrize("head", list(CASES))
def test_probabilities_are_one_per_class_and_sum_to_1(head):
    logits, _ = _batch(head, seed=1)
    probs = HEADS[head].probabilities(torch.from_numpy(logits)).numpy()
    assert probs.shape == (N, CASES[head])
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    if head == "sigmoid":
        p1 = torch.sigmoid(torch.from_numpy(logits)).numpy()[:, 0]
        np.testing.assert_array_equal(probs[:, 1], p1)
        np.testing.assert_array_equal(probs[:, 0], 1 - p1)
    else:
        expected = torch.softmax(torch.from_numpy(logits), dim=1).numpy()
        np.testing.assert_array_equal(probs, expected)


@pytest.mark.parametrize("head", list(CASES))
@pytest.mark.parametrize("scale", [0.1, 3.0, 40.0])
def test_loss_and_dlogits_in_numpy_equal_torch_and_autograd(head, scale):
    logits, labels = _batch(head, seed=2, scale=scale)
    logits_t = torch.from_numpy(logits).requires_grad_()
    labels_t = torch.from_numpy(labels)
    loss_t = HEADS[head].loss(logits_t, labels_t)
    loss_t.backward()
    if head == "sigmoid":
        expected = F.binary_cross_entropy_with_logits(logits_t[:, 0], labels_t.double())
    else:
        expected = F.cross_entropy(logits_t, labels_t)
    assert loss_t.item() == expected.item()

    loss, dlogits = HEADS[head].loss_numpy(logits, labels)
    assert loss == pytest.approx(loss_t.item(), rel=TOL)
    assert dlogits.shape == logits.shape
    assert relative_error(dlogits, logits_t.grad.numpy()) < TOL


@pytest.mark.parametrize("head", list(CASES))
def test_the_predicted_class_has_the_highest_probability(head):
    logits, _ = _batch(head, seed=3)
    logits_t = torch.from_numpy(logits)
    predicted = HEADS[head].predicted(logits_t)
    assert predicted.dtype == torch.int64 and predicted.shape == (N,)
    probs = HEADS[head].probabilities(logits_t).numpy()
    np.testing.assert_array_equal(predicted.numpy(), probs.argmax(axis=1))


@pytest.mark.parametrize("head", list(CASES))
def test_dscore_is_the_gradient_autograd_gives_of_each_class_score(head):
    logits, _ = _batch(head, seed=4)
    for target in range(CASES[head]):
        logits_t = torch.from_numpy(logits).requires_grad_()
        score = HEADS[head].score(logits_t, target)  # (N,)
        assert score.shape == (N,)
        score.sum().backward()
        dscore = HEADS[head].dscore_numpy(logits, target)
        assert dscore.shape == logits.shape and dscore.dtype == logits.dtype
        np.testing.assert_array_equal(dscore, logits_t.grad.numpy())


def test_a_sigmoid_head_scores_class_0_with_the_negative_logit():
    logits, _ = _batch("sigmoid", seed=5)
    logits_t = torch.from_numpy(logits)
    np.testing.assert_array_equal(HEADS["sigmoid"].score(logits_t, 1).numpy(), logits[:, 0])
    np.testing.assert_array_equal(HEADS["sigmoid"].score(logits_t, 0).numpy(), -logits[:, 0])
