"""Training loop, the default model and the shared model store."""

import dataclasses
import threading

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnexplain.core.optim import torch_optimizer
from cnnexplain.io.datasets import load_digits28
from cnnexplain.io.modelfile import export_model, import_model
from cnnexplain.model.spec import CNNSpec, ConvBlock
from cnnexplain.training.store import DEFAULT_SPEC, ModelStore, build_model, fit, training_for
from cnnexplain.training.train import (
    TrainConfig,
    channels_last,
    evaluate,
    make_optimizer,
    predict,
    train,
)

SMALL = CNNSpec(conv_blocks=(ConvBlock(filters=4),), dense=(16,))


@pytest.fixture(scope="module")
def digits():
    return load_digits28()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": 0}, "Epochs must be"),
        ({"batch_size": 0}, "Batch size must be"),
        ({"lr": -1.0}, "Learning rate must be"),
        ({"lr": float("nan")}, "Learning rate must be"),
        ({"optimizer": "rmsprop"}, "Unknown optimizer 'rmsprop'"),
        ({"momentum": 1.0}, "Momentum must be"),
    ],
)
def test_train_config_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**kwargs)


def test_training_yields_one_record_per_epoch_and_learns(digits):
    model = build_model(SMALL)
    config = TrainConfig(epochs=3, batch_size=32, lr=1e-2, max_train=640)
    records = list(
        train(model, digits.x_train, digits.y_train, digits.x_test, digits.y_test, config)
    )
    assert [r.epoch for r in records] == [1, 2, 3]
    assert records[-1].progress == pytest.approx(1.0)
    assert records[-1].samples_seen == 3 * 640
    assert records[-1].step == 3 * 20
    assert records[-1].train_loss < records[0].train_loss
    assert records[-1].test_acc > 0.5
    # The epoch record's held-out numbers come from the same forward pass as `evaluate`.
    assert evaluate(model, digits.x_test, digits.y_test) == (
        records[-1].test_loss,
        records[-1].test_acc,
    )
    assert records[-1].test_acc == np.mean(predict(model, digits.x_test) == digits.y_test)


def test_same_seed_same_numbers(digits):
    config = TrainConfig(epochs=1, max_train=300, optimizer="momentum", lr=0.05)

    def run():
        model = build_model(SMALL)
        recs = list(
            train(model, digits.x_train, digits.y_train, digits.x_test, digits.y_test, config)
        )
        return recs[-1].train_loss, [p.detach().clone() for p in model.parameters()]

    (loss_a, params_a), (loss_b, params_b) = run(), run()
    assert loss_a == loss_b
    assert all(torch.equal(a, b) for a, b in zip(params_a, params_b, strict=True))


def test_sigmoid_head_trains_on_two_classes(digits):
    keep_train = digits.y_train < 2
    keep_test = digits.y_test < 2
    spec = CNNSpec(conv_blocks=(ConvBlock(filters=4),), dense=(32,), num_classes=2, head="sigmoid")
    model = build_model(spec)
    records = list(
        train(
            model,
            digits.x_train[keep_train],
            digits.y_train[keep_train],
            digits.x_test[keep_test],
            digits.y_test[keep_test],
            TrainConfig(epochs=3, lr=1e-2),
        )
    )
    assert records[-1].test_acc > 0.9


def test_default_model_reaches_97_percent_on_unseen_digits(digits):
    entry = fit(DEFAULT_SPEC, digits, "digits")
    assert entry.trained
    assert entry.test_acc >= 0.97
    assert len(entry.history) == training_for("digits").epochs
    assert not any(p.requires_grad for p in entry.model.parameters())


def test_store_trains_once_per_key_even_when_asked_at_once(digits):
    store = ModelStore()
    epochs_reported = []
    results = []

    def ask():
        results.append(
            store.get(SMALL, digits, "digits", trained=True, on_progress=epochs_reported.append)
        )

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(epochs_reported) == training_for("digits").epochs  # one training run, not four
    assert all(r is results[0] for r in results)
    assert store.peek(SMALL, "digits") is results[0]
    assert store.peek(SMALL, "digits", trained=False) is None


def test_store_keeps_at_most_its_capacity(digits):
    store = ModelStore(capacity=2)
    specs = [CNNSpec(conv_blocks=(ConvBlock(filters=f),), dense=(8,)) for f in (2, 3, 4)]
    for spec in specs:
        store.get(spec, digits, "digits", trained=False)
    assert store.peek(specs[0], "digits", trained=False) is None
    assert store.peek(specs[2], "digits", trained=False) is not None


def test_a_model_pages_keep_looking_at_is_not_the_one_evicted(digits):
    # Pages find the shared models with peek: a model in use must outlive ones nobody reads.
    store = ModelStore(capacity=2)
    specs = [CNNSpec(conv_blocks=(ConvBlock(filters=f),), dense=(8,)) for f in (2, 3, 4)]
    store.get(specs[0], digits, "digits", trained=False)
    store.get(specs[1], digits, "digits", trained=False)
    assert store.peek(specs[0], "digits", trained=False) is not None
    store.get(specs[2], digits, "digits", trained=False)
    assert store.peek(specs[0], "digits", trained=False) is not None
    assert store.peek(specs[1], "digits", trained=False) is None


def test_untrained_entry_keeps_the_seeded_initial_weights(digits):
    entry = fit(SMALL, digits, "digits", trained=False)
    fresh = build_model(SMALL)
    assert entry.history == ()
    for a, b in zip(entry.model.parameters(), fresh.parameters(), strict=True):
        assert torch.equal(a, b)


def test_step_records_come_between_epoch_records_and_change_nothing(digits):
    config = TrainConfig(epochs=2, batch_size=32, lr=1e-2, max_train=200)  # 7 steps an epoch

    def run(report_every):
        model = build_model(SMALL)
        records = list(
            train(
                model,
                digits.x_train,
                digits.y_train,
                digits.x_test,
                digits.y_test,
                config,
                report_every=report_every,
            )
        )
        return records, [p.detach().clone() for p in model.parameters()]

    plain, plain_params = run(None)
    mixed, mixed_params = run(3)
    assert [(r.kind, r.epoch, r.step) for r in mixed] == [
        ("step", 1, 3),
        ("step", 1, 6),
        ("epoch", 1, 7),
        ("step", 2, 9),
        ("step", 2, 12),
        ("epoch", 2, 14),
    ]
    epochs = [r for r in mixed if r.kind == "epoch"]
    for a, b in zip(epochs, plain, strict=True):
        assert (a.epoch, a.step, a.samples_seen, a.progress) == (
            b.epoch,
            b.step,
            b.samples_seen,
            b.progress,
        )
        assert (a.train_loss, a.train_acc, a.test_loss, a.test_acc) == (
            b.train_loss,
            b.train_acc,
            b.test_loss,
            b.test_acc,
        )
    assert all(torch.equal(a, b) for a, b in zip(mixed_params, plain_params, strict=True))

    steps = [r for r in mixed if r.kind == "step"]
    assert all(np.isnan(r.test_loss) and np.isnan(r.test_acc) for r in steps)
    assert [r.samples_seen for r in steps] == [96, 192, 200 + 64, 200 + 160]
    assert [r.progress for r in steps] == [3 / 14, 6 / 14, 9 / 14, 12 / 14]
    assert all(0.0 <= r.train_acc <= 1.0 and r.train_loss > 0 for r in steps)
    elapsed = [r.elapsed_s for r in mixed]
    assert elapsed == sorted(elapsed)


@pytest.mark.parametrize("report_every", [0, -3, 2.5, True])
def test_report_every_must_be_a_positive_whole_number(digits, report_every):
    with pytest.raises(ValueError, match="report_every must be a whole number of steps"):
        next(
            train(
                build_model(SMALL),
                digits.x_train,
                digits.y_train,
                digits.x_test,
                digits.y_test,
                report_every=report_every,
            )
        )


def seeded_loop(model, xt, yt, optimizer, config, layout=lambda batch: batch):
    """One indexed, shuffled batch after another with `config`'s seed, epochs and batch size;
    `layout` lays each batch out before the model reads it."""
    generator = torch.Generator().manual_seed(config.seed)
    model.train()
    for _ in range(config.epochs):
        order = torch.randperm(len(xt), generator=generator)
        for first in range(0, len(xt), config.batch_size):
            idx = order[first : first + config.batch_size]
            optimizer.zero_grad(set_to_none=True)
            F.cross_entropy(model(layout(xt[idx])), yt[idx]).backward()
            optimizer.step()
    model.eval()


def plain_loop(model, x, y, config):
    """The plainest torch loop with the settings `train` takes: ordinary layout, one indexed
    batch after another, the single-tensor optimizer step."""
    optimizer = torch_optimizer(config.optimizer, model.parameters(), lr=config.lr)
    seeded_loop(model, torch.tensor(x), torch.tensor(y), optimizer, config)


def test_training_runs_convolutions_channels_last_and_leaves_ordinary_weights(digits):
    model = build_model(DEFAULT_SPEC)
    layouts = []
    model.conv2.register_forward_hook(
        lambda module, inputs, out: layouts.append(
            (out.is_contiguous(memory_format=torch.channels_last), out.is_contiguous())
        )
    )
    config = TrainConfig(epochs=1, max_train=96)
    for _ in train(model, digits.x_train, digits.y_train, digits.x_test, digits.y_test, config):
        pass
    assert layouts[:3] == [(True, False)] * 3  # the three training batches
    for name, p in model.named_parameters():
        assert p.is_contiguous(), name
        assert p.detach().numpy().flags.c_contiguous, name
    loaded = import_model(export_model(model))
    for (name, a), b in zip(model.state_dict().items(), loaded.state_dict().values(), strict=True):
        assert torch.equal(a, b), name


def test_channels_last_loop_gives_the_same_numbers_for_the_same_seed(digits):
    config = TrainConfig(epochs=2, max_train=320, lr_schedule="cosine", augment="digits")

    def run():
        model = build_model(DEFAULT_SPEC)
        records = list(
            train(model, digits.x_train, digits.y_train, digits.x_test, digits.y_test, config)
        )
        return records, [p.detach().clone() for p in model.parameters()]

    (records_a, params_a), (records_b, params_b) = run(), run()
    strip = [dataclasses.replace(r, elapsed_s=0.0) for r in records_a]
    assert strip == [dataclasses.replace(r, elapsed_s=0.0) for r in records_b]
    assert all(torch.equal(a, b) for a, b in zip(params_a, params_b, strict=True))


def batch_by_batch_loop(model, x, y, config):
    """`train`'s steps written out directly, each batch copied to channels-last on its own."""
    xt, yt = torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.int64)
    optimizer = make_optimizer(model, config.optimizer, lr=config.lr, momentum=config.momentum)
    seeded_loop(model, xt, yt, optimizer, config, layout=channels_last)


@pytest.mark.parametrize("optimizer", ["adam", "momentum"])
def test_training_gives_the_weights_of_the_loop_written_out_batch_by_batch(digits, optimizer):
    # Laying the data out once, evaluating between epochs and making records change no
    # number: the same seed gives, to the last bit, the weights of the direct loop.
    config = TrainConfig(epochs=2, batch_size=24, optimizer=optimizer, lr=0.01, max_train=300)
    ours, direct = build_model(DEFAULT_SPEC), build_model(DEFAULT_SPEC)
    for _ in train(ours, digits.x_train, digits.y_train, digits.x_test, digits.y_test, config):
        pass
    batch_by_batch_loop(direct, digits.x_train[:300], digits.y_train[:300], config)
    for (name, a), b in zip(ours.named_parameters(), direct.parameters(), strict=True):
        assert torch.equal(a, b), name


@pytest.mark.parametrize("channels", [1, 3])
def test_evaluation_gives_the_predictions_of_the_ordinary_layout(channels):
    spec = CNNSpec(in_channels=channels, input_size=12, conv_blocks=(ConvBlock(filters=4),))
    model = build_model(spec)
    generator = torch.Generator().manual_seed(2)
    x = torch.rand(50, channels, 12, 12, generator=generator)
    y = torch.randint(10, (50,), generator=generator)
    with torch.no_grad():
        logits = model(x)  # ordinary contiguous layout, one batch
    loss, acc = evaluate(model, x.numpy(), y.numpy(), batch_size=16)
    assert loss == pytest.approx(F.cross_entropy(logits, y).item(), rel=1e-5)
    assert acc == np.mean(logits.argmax(1).numpy() == y.numpy())
    assert np.array_equal(predict(model, x.numpy(), batch_size=16), logits.argmax(1).numpy())


@pytest.mark.parametrize("optimizer", ["adam", "momentum"])
def test_training_learns_as_well_as_the_plain_torch_loop(digits, optimizer):
    config = TrainConfig(epochs=3, optimizer=optimizer, lr=3e-3 if optimizer == "adam" else 0.03)
    ours = build_model(DEFAULT_SPEC)
    records = list(
        train(ours, digits.x_train, digits.y_train, digits.x_test, digits.y_test, config)
    )
    plain = build_model(DEFAULT_SPEC)
    plain_loop(plain, digits.x_train, digits.y_train, config)
    _, plain_acc = evaluate(plain, digits.x_test, digits.y_test)
    # Same initial weights, same batches: only float rounding differs, so the two runs end
    # close, not equal.
    assert records[-1].test_acc >= 0.9
    assert abs(records[-1].test_acc - plain_acc) <= 0.02
    agree = np.mean(predict(ours, digits.x_test) == predict(plain, digits.x_test))
    assert agree >= 0.95


@pytest.mark.parametrize("channels", [1, 3])
def test_channels_last_keeps_every_value_and_changes_the_layout(channels):
    x = torch.rand(4, channels, 5, 6, generator=torch.Generator().manual_seed(1))
    out = channels_last(x)
    assert torch.equal(out, x)
    assert out.stride() == (5 * 6 * channels, 1, 6 * channels, channels)
    assert x.is_contiguous()  # left as it was
