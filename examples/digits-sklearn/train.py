"""Train a scikit-learn MLP on scikit-learn's bundled 8x8 handwritten digits.

The same task as digits-pytorch without PyTorch: one partial_fit pass over
the training set per epoch, train and validation loss and accuracy logged
every epoch through trainyard_client, the fitted model pickled to
<model-dir>/model.pkl and the final validation accuracy printed. The data
ships with scikit-learn, so nothing is downloaded.
"""

import argparse
import os
import pickle
import sys
import time


def import_tracking_client():
    """Import trainyard_client from PYTHONPATH, or from this repository when run by hand."""
    try:
        import trainyard_client
    except ImportError:
        here = os.path.dirname(os.path.abspath(__file__))
        sys.path.insert(0, os.path.join(here, "..", "..", "clients", "python"))
        import trainyard_client
    return trainyard_client


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20, help="passes over the training set")
    parser.add_argument("--model-dir", required=True, help="folder that receives model.pkl")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate")
    parser.add_argument("--hidden", type=int, default=128, help="units in the hidden layer")
    parser.add_argument("--batch-size", type=int, default=32, help="examples per step")
    parser.add_argument("--seed", type=int, default=0, help="seed for the split and the weights")
    return parser.parse_args()


def main():
    args = parse_args()
    ty = import_tracking_client()

    import numpy
    import sklearn
    from sklearn.datasets import load_digits
    from sklearn.metrics import accuracy_score, log_loss
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier

    digits = load_digits()
    features = digits.data / 16.0  # pixel intensities are 0 to 16
    x_train, x_val, y_train, y_val = train_test_split(
        features, digits.target, test_size=0.2, random_state=args.seed, stratify=digits.target)
    classes = numpy.unique(digits.target)
    model = MLPClassifier(hidden_layer_sizes=(args.hidden,), learning_rate_init=args.lr,
                          batch_size=args.batch_size, random_state=args.seed)
    ty.log_params({"epochs": args.epochs, "lr": args.lr, "hidden": args.hidden,
                   "batch_size": args.batch_size, "seed": args.seed,
                   "train_examples": len(y_train), "validation_examples": len(y_val)})
    ty.set_tag("framework", "scikit-learn " + sklearn.__version__)

    def evaluate(x, y):
        return log_loss(y, model.predict_proba(x), labels=classes), accuracy_score(y, model.predict(x))

    started = time.monotonic()
    shuffle = numpy.random.default_rng(args.seed)
    for epoch in range(args.epochs):
        order = shuffle.permutation(len(y_train))
        model.partial_fit(x_train[order], y_train[order], classes=classes)

        train_loss, train_accuracy = evaluate(x_train, y_train)
        val_loss, val_accuracy = evaluate(x_val, y_val)
        ty.log_metrics({"train/loss": train_loss, "train/accuracy": train_accuracy,
                        "val/loss": val_loss, "val/accuracy": val_accuracy}, step=epoch)
        print(f"epoch {epoch + 1}/{args.epochs}: train loss {train_loss:.4f} "
              f"accuracy {train_accuracy:.4f}, validation loss {val_loss:.4f} "
              f"accuracy {val_accuracy:.4f}", flush=True)

    os.makedirs(args.model_dir, exist_ok=True)
    model_path = os.path.join(args.model_dir, "model.pkl")
    with open(model_path, "wb") as file:
        pickle.dump(model, file)
    ty.close()
    print(f"saved the model to {model_path} after {time.monotonic() - started:.1f} s")
    print(f"final validation accuracy: {val_accuracy:.4f}")


if __name__ == "__main__":
    main()
