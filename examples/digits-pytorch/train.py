"""Train a PyTorch MLP on scikit-learn's bundled 8x8 handwritten digits.

Logs train and validation loss and accuracy every epoch through
trainyard_client, saves the model's state_dict to <model-dir>/model.pt and
prints the final validation accuracy. The data ships with scikit-learn, so
nothing is downloaded.
"""

import argparse
import os
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
    parser.add_argument("--model-dir", required=True, help="folder that receives model.pt")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate")
    parser.add_argument("--hidden", type=int, default=128, help="units in each hidden layer")
    parser.add_argument("--batch-size", type=int, default=32, help="examples per step")
    parser.add_argument("--seed", type=int, default=0, help="seed for the split and the weights")
    return parser.parse_args()


def main():
    args = parse_args()
    ty = import_tracking_client()

    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    torch.manual_seed(args.seed)
    digits = load_digits()
    features = digits.data.astype("float32") / 16.0  # pixel intensities are 0 to 16
    x_train, x_val, y_train, y_val = train_test_split(
        features, digits.target, test_size=0.2, random_state=args.seed, stratify=digits.target)
    x_train, x_val = torch.from_numpy(x_train), torch.from_numpy(x_val)
    y_train, y_val = torch.from_numpy(y_train).long(), torch.from_numpy(y_val).long()

    model = torch.nn.Sequential(
        torch.nn.Linear(64, args.hidden), torch.nn.ReLU(),
        torch.nn.Linear(args.hidden, args.hidden), torch.nn.ReLU(),
        torch.nn.Linear(args.hidden, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_function = torch.nn.CrossEntropyLoss()
    ty.log_params({"epochs": args.epochs, "lr": args.lr, "hidden": args.hidden,
                   "batch_size": args.batch_size, "seed": args.seed,
                   "train_examples": len(y_train), "validation_examples": len(y_val)})
    ty.set_tag("framework", "pytorch " + torch.__version__)

    def evaluate(x, y):
        model.eval()
        with torch.no_grad():
            logits = model(x)
            return loss_function(logits, y).item(), (logits.argmax(1) == y).float().mean().item()

    started = time.monotonic()
    generator = torch.Generator().manual_seed(args.seed)
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(y_train), generator=generator)
        for start in range(0, len(order), args.batch_size):
            batch = order[start:start + args.batch_size]
            optimizer.zero_grad()
            loss = loss_function(model(x_train[batch]), y_train[batch])
            loss.backward()
            optimizer.step()

        train_loss, train_accuracy = evaluate(x_train, y_train)
        val_loss, val_accuracy = evaluate(x_val, y_val)
        ty.log_metrics({"train/loss": train_loss, "train/accuracy": train_accuracy,
                        "val/loss": val_loss, "val/accuracy": val_accuracy}, step=epoch)
        print(f"epoch {epoch + 1}/{args.epochs}: train loss {train_loss:.4f} "
              f"accuracy {train_accuracy:.4f}, validation loss {val_loss:.4f} "
              f"accuracy {val_accuracy:.4f}", flush=True)

    os.makedirs(args.model_dir, exist_ok=True)
    model_path = os.path.join(args.model_dir, "model.pt")
    torch.save(model.state_dict(), model_path)
    ty.close()
    print(f"saved the model to {model_path} after {time.monotonic() - started:.1f} s")
    print(f"final validation accuracy: {val_accuracy:.4f}")


if __name__ == "__main__":
    main()
