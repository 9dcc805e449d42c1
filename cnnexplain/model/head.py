"""The network's head: how its last scores (logits) become probabilities, a loss and a class.

A softmax head has one logit per class, K of them. A sigmoid head has one logit z for two
classes: sigmoid(z) is the probability of class 1, so the two classes' probabilities are
[1 - p, p], z is the score of class 1 and -z the score of class 0.

Each head gives the same quantities in torch (training, autograd, the reference) and in numpy
(the `ops` math the pages explain, with the gradient that starts the backward pass). Every place
that depends on which head a network has asks `HEADS[spec.head]`, so none of them branches.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from cnnexplain.core import ops


class SoftmaxHead:
    """K logits, one per class; softmax turns them into probabilities."""

    name = "softmax"

    def num_logits(self, num_classes: int) -> int:
        """How many logits the last layer gives for `num_classes` classes: one per class."""
        return num_classes

    def output(self, logits: torch.Tensor) -> torch.Tensor:
        """The head's own output, (N, K) -> (N, K): softmax of each row."""
        return torch.softmax(logits, dim=1)

    def output_numpy(self, logits: np.ndarray) -> np.ndarray:
        """`output` with the `ops` math: (N, K) -> (N, K)."""
        return ops.softmax(logits)

    def probabilities(self, logits: torch.Tensor) -> torch.Tensor:
        """(N, K) -> (N, K): the probability of every class, each row summing to 1."""
        return self.output(logits)

    def loss(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy of (N, K) logits against (N,) integer labels."""
        return F.cross_entropy(logits, labels)

    def loss_numpy(self, logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
        """`loss` with the `ops` math, and dL/d logits (N, K) = (softmax - one-hot) / N."""
        return ops.softmax_cross_entropy(logits, labels)

    def predicted(self, logits: torch.Tensor) -> torch.Tensor:
        """(N, K) -> (N,) int64: the class with the highest logit."""
        return logits.argmax(dim=1)

    def score(self, logits: torch.Tensor, target: int) -> torch.Tensor:
        """(N, K) -> (N,): the score of class `target`, its logit."""
        return logits[:, target]

    def dscore_numpy(self, logits: np.ndarray, target: int) -> np.ndarray:
        """d score / d logits, shaped like logits (N, K): 1 at `target`, 0 elsewhere."""
        dlogits = np.zeros_like(logits)
        dlogits[:, target] = 1.0
        return dlogits


class SigmoidHead:
    """One logit z for two classes; sigmoid(z) is the probability of class 1."""

    name = "sigmoid"

    def num_logits(self, num_classes: int) -> int:
        """How many logits the last layer gives: one, whatever the (two) classes."""
        return 1

    def output(self, logits: torch.Tensor) -> torch.Tensor:
        """The head's own output, (N, 1) -> (N, 1): P(class 1) = sigmoid(z)."""
        return torch.sigmoid(logits)

    def output_numpy(self, logits: np.ndarray) -> np.ndarray:
        """`output` with the `ops` math: (N, 1) -> (N, 1)."""
        return ops.sigmoid(logits)

    def probabilities(self, logits: torch.Tensor) -> torch.Tensor:
        """(N, 1) -> (N, 2): [1 - p, p] per row, the probabilities of class 0 and class 1."""
        p1 = self.output(logits)
        return torch.cat([1 - p1, p1], dim=1)

    def loss(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Mean binary cross-entropy of (N, 1) logits against (N,) labels 0 or 1."""
        z = logits.reshape(-1)
        return F.binary_cross_entropy_with_logits(z, labels.to(z.dtype))

    def loss_numpy(self, logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
        """`loss` with the `ops` math, and dL/d logits (N, 1) = (sigmoid(z) - label) / N."""
        return ops.sigmoid_binary_cross_entropy(logits, labels)

    def predicted(self, logits: torch.Tensor) -> torch.Tensor:
        """(N, 1) -> (N,) int64: class 1 where p > 1/2, that is where the logit is above 0."""
        return (logits.reshape(-1) > 0).long()

    def score(self, logits: torch.Tensor, target: int) -> torch.Tensor:
        """(N, 1) -> (N,): z for class 1, -z for class 0."""
        return logits[:, 0] if target == 1 else -logits[:, 0]

    def dscore_numpy(self, logits: np.ndarray, target: int) -> np.ndarray:
        """d score / d logits, shaped like logits (N, 1): +1 for class 1, -1 for class 0."""
        return np.full_like(logits, 1.0 if target == 1 else -1.0)


Head = SoftmaxHead | SigmoidHead
HEADS: dict[str, Head] = {head.name: head for head in (SoftmaxHead(), SigmoidHead())}
