#!/usr/bin/env python3
"""Learning phase of the seismic lifecycle: a real PyTorch training loop, instrumented as in
Algorithm 1 of the ProvLake paper (prov.in / prov.out around training, each epoch, each batch).

    /usr/bin/python3 examples/pytorch_train.py --server http://127.0.0.1:4000 \
        --train-set provml-demo-data/train.h5 --epochs 3

The training set is the HDF5 file that examples/preparation.py wrote (tiles and facies labels);
without one, the script makes a synthetic set of the same shape, so it runs anywhere. Runs on
CUDA when torch sees a GPU, else on the CPU. Without --server it captures offline to a spool
(send it later with `python -m provml replay SPOOL --server URL`).
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clients",
                                "python"))
import provml  # noqa: E402  (the capture client, standard library only)

# The prospective spec: declared once, outside the loop (ProvLake keeps it out of the script's
# logic). Roles say what each value is in PROV-ML.
SPEC = {
    "name": "seismic-training",
    "kind": "LEARNING",
    "description": "Train a CNN that classifies seismic tiles into stratigraphic facies.",
    "study": {"id": "seismic-stratigraphy", "name": "Seismic stratigraphy"},
    "attributes": [
        {"name": "seed", "role": "PARAMETER"},
        {"name": "device", "role": "IMPLEMENTATION_CHARACTERISTIC"},
        {"name": "framework", "role": "IMPLEMENTATION_CHARACTERISTIC"},
    ],
    "transformations": [
        {"name": "training", "kind": "LEARNING_STAGE", "stageType": "TRAINING",
         "used": [{"name": "batch_size", "role": "LEARNING_HYPERPARAMETER"},
                  {"name": "learning_rate", "role": "LEARNING_HYPERPARAMETER"},
                  {"name": "max_epochs", "role": "LEARNING_HYPERPARAMETER"},
                  {"name": "optimizer", "role": "LEARNING_HYPERPARAMETER"},
                  {"name": "algorithm", "role": "ALGORITHM"},
                  {"name": "train_set", "role": "LEARNING_DATASET_REFERENCE"}],
         "generated": [{"name": "model", "role": "MODEL_REFERENCE"},
                       {"name": "loss", "role": "EVALUATION_MEASURE"}]},
        {"name": "epoch", "kind": "LEARNING_STAGE", "stageType": "TRAINING",
         "parent": "training",
         "used": [{"name": "epoch", "role": "PARAMETER"}],
         "generated": [{"name": "loss", "role": "EVALUATION_MEASURE"},
                       {"name": "accuracy", "role": "EVALUATION_MEASURE"},
                       {"name": "confusion_matrix", "role": "EVALUATION_MEASURE"},
                       {"name": "n_parameters", "role": "MODEL_HYPERPARAMETER"},
                       {"name": "conv_channels", "role": "MODEL_HYPERPARAMETER"},
                       {"name": "model", "role": "MODEL_REFERENCE"},
                       {"name": "epoch", "role": "MODEL_HYPERPARAMETER"}]},
        {"name": "batch", "kind": "LEARNING_STAGE", "stageType": "TRAINING", "parent": "epoch",
         "used": [{"name": "batch_index", "role": "PARAMETER"}],
         "generated": [{"name": "loss", "role": "EVALUATION_MEASURE"}]},
        {"name": "test", "kind": "LEARNING_STAGE", "stageType": "TEST",
         "used": [{"name": "model", "role": "MODEL_REFERENCE"},
                  {"name": "test_set", "role": "LEARNING_DATASET_REFERENCE"}],
         "generated": [{"name": "accuracy", "role": "EVALUATION_MEASURE"},
                       {"name": "loss", "role": "EVALUATION_MEASURE"}]},
    ],
}

N_CLASSES = 4


def load_tiles(path, torch, n=2048, tile=16, seed=0):
    """Tiles and labels from preparation's HDF5, or a synthetic set of the same shape."""
    if path and os.path.exists(path):
        import h5py
        with h5py.File(path, "r") as f:
            x = torch.tensor(f["tiles"][()], dtype=torch.float32)
            y = torch.tensor(f["labels"][()], dtype=torch.long)
        return x.unsqueeze(1), y
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, N_CLASSES, (n,), generator=g)
    # each facies has its own dominant wavelength: a pattern a small CNN can learn
    rows = torch.arange(tile, dtype=torch.float32).view(1, tile, 1)
    x = torch.sin(rows * (y.view(-1, 1, 1).float() + 1) * 0.7) + 0.3 * torch.randn(
        n, tile, tile, generator=g)
    return x.unsqueeze(1), y


def make_model(torch, channels=8, tile=16):
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(channels, channels * 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(channels * 2 * (tile // 4) ** 2, N_CLASSES))


def train(torch, x, y, epochs=3, batch_size=64, lr=0.01, seed=0, device="cpu", prov=None,
          model_dir=None, train_set_ref=None, channels=8):
    """The training loop; with `prov` it is captured as Algorithm 1 (the only difference)."""
    torch.manual_seed(seed)
    model = make_model(torch, channels=channels, tile=x.shape[-1]).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    x, y = x.to(device), y.to(device)
    n_batches = (len(x) + batch_size - 1) // batch_size
    n_parameters = sum(p.numel() for p in model.parameters())
    last_loss = None
    model_path = None
    training = prov.task("training", used={
        "batch_size": batch_size, "learning_rate": lr, "max_epochs": epochs, "optimizer": "SGD",
        "algorithm": "CNN",
        "train_set": train_set_ref}) if prov else None
    for e in range(epochs):
        epoch = prov.task("epoch", epoch=e) if prov else None
        perm = torch.randperm(len(x), device=device)
        total, correct, confusion = 0.0, 0, torch.zeros(N_CLASSES, N_CLASSES, dtype=torch.long)
        for b in range(n_batches):
            batch = prov.task("batch", batch_index=b) if prov else None
            idx = perm[b * batch_size:(b + 1) * batch_size]
            opt.zero_grad()
            out = model(x[idx])
            loss = loss_fn(out, y[idx])
            loss.backward()
            opt.step()
            value = loss.item()
            total += value * len(idx)
            pred = out.argmax(1)
            correct += int((pred == y[idx]).sum())
            confusion += torch.bincount(y[idx].cpu() * N_CLASSES + pred.cpu(),
                                        minlength=N_CLASSES ** 2).view(N_CLASSES, N_CLASSES)
            if prov:
                batch.out(loss=value)
                prov.end(batch)
        last_loss = total / len(x)
        if model_dir:
            model_path = os.path.join(model_dir, "model_epoch%d.pt" % e)
            torch.save(model.state_dict(), model_path)
        if prov:
            prov.log_metric("loss", last_loss, step=e, context="TRAINING")
            prov.log_metric("accuracy", correct / len(x), step=e, context="TRAINING")
            epoch.out(loss=last_loss, accuracy=correct / len(x),
                      confusion_matrix=confusion.tolist(), n_parameters=n_parameters,
                      conv_channels=channels)
            if model_path:
                epoch.out(model=provml.ref(os.path.abspath(model_path), "fs"), epoch=e)
            prov.end(epoch)
    if prov:
        training.out(loss=last_loss)
        if model_path:
            training.out(model=provml.ref(os.path.abspath(model_path), "fs"))
        prov.end(training)
    return model, last_loss, model_path


def evaluate(torch, model, x, y, device, prov=None, model_path=None, test_set_ref=None):
    test = prov.task("test", used={"model": provml.ref(os.path.abspath(model_path), "fs"),
                                   "test_set": test_set_ref}) if prov and model_path else None
    with torch.no_grad():
        out = model(x.to(device))
        loss = float(torch.nn.functional.cross_entropy(out, y.to(device)))
        accuracy = float((out.argmax(1) == y.to(device)).float().mean())
    if test:
        test.out(accuracy=accuracy, loss=loss)
        prov.end(test)
        prov.log_metric("accuracy", accuracy, context="TEST")
    return accuracy, loss


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--server", default=os.environ.get("PROVML_SERVER"))
    p.add_argument("--spool", default=None, help="spool file (online+spool, or offline)")
    p.add_argument("--train-set", default=os.path.join("provml-demo-data", "train.h5"))
    p.add_argument("--test-set", default=os.path.join("provml-demo-data", "test.h5"))
    p.add_argument("--model-dir", default=os.path.join("provml-demo-data", "models"))
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--device", default=None, help="cpu or cuda (default: cuda if available)")
    p.add_argument("--sample-interval", type=float, default=1.0,
                   help="seconds between telemetry samples (0: none)")
    p.add_argument("--run", default=None, help="run id (default: generated)")
    args = p.parse_args(argv)

    import torch
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    os.makedirs(args.model_dir, exist_ok=True)
    x, y = load_tiles(args.train_set, torch, seed=args.seed)
    tx, ty = load_tiles(args.test_set, torch, n=512, seed=args.seed + 1)
    mode = None if args.server or args.spool else provml.OFFLINE
    prov = provml.init(spec=SPEC, server=args.server, spool=args.spool, mode=mode, run=args.run,
                       sample_interval=args.sample_interval or None,
                       used={"seed": args.seed, "device": device,
                             "framework": "torch " + torch.__version__})
    train_ref = provml.ref(os.path.abspath(args.train_set), "fs")
    test_ref = provml.ref(os.path.abspath(args.test_set), "fs")
    start = time.perf_counter()
    model, loss, model_path = train(torch, x, y, epochs=args.epochs, batch_size=args.batch_size,
                                    lr=args.lr, seed=args.seed, device=device, prov=prov,
                                    model_dir=args.model_dir, train_set_ref=train_ref)
    accuracy, test_loss = evaluate(torch, model, tx, ty, device, prov, model_path, test_ref)
    prov.log_model(os.path.abspath(model_path))
    prov.log_system_metrics()
    elapsed = time.perf_counter() - start
    report = prov.close(timeout=30)
    print("run %s: %d epochs on %s in %.2f s, train loss %.4f, test accuracy %.3f"
          % (prov.run, args.epochs, device, elapsed, loss, accuracy))
    print("provenance: %s" % report)
    return 0 if report.unsent == 0 or mode == provml.OFFLINE else 1


if __name__ == "__main__":
    sys.exit(main())
