"""Train the digits MLP with DistributedDataParallel over gloo, on CPUs.

Every process reads the rendezvous from the variables that Trainyard sets
(MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE). Each epoch, the shuffled
training set is split into one shard per process; DDP averages the
gradients, so all processes hold the same weights after every step. Rank 0
logs the metrics through trainyard_client, saves the model's state_dict to
<model-dir>/model.pt and prints the final validation accuracy.

Run by hand without those variables, it trains as a group of one process.
"""

import argparse
import os
import socket
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
    parser.add_argument("--batch-size", type=int, default=32,
                        help="examples per step over all processes together")
    parser.add_argument("--seed", type=int, default=0, help="seed for the split and the weights")
    return parser.parse_args()


def use_single_process_group_unless_launched():
    """Set the rendezvous variables for a group of one when no launcher set them."""
    if "WORLD_SIZE" in os.environ:
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    os.environ.update({"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "RANK": "0",
                       "WORLD_SIZE": "1"})


def main():
    args = parse_args()
    use_single_process_group_unless_launched()

    import torch
    import torch.distributed as dist
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    # The processes share the host's cores; one thread each avoids
    # oversubscribing them.
    torch.set_num_threads(1)
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    if args.batch_size % world != 0:
        raise SystemExit(f"--batch-size {args.batch_size} does not divide over {world} processes; "
                         f"use a multiple of {world}")
    ty = import_tracking_client() if rank == 0 else None

    # The same seed gives every process the same split and the same initial
    # weights; DDP also copies rank 0's weights to the others at start.
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
    ddp_model = torch.nn.parallel.DistributedDataParallel(model)
    optimizer = torch.optim.Adam(ddp_model.parameters(), lr=args.lr)
    loss_function = torch.nn.CrossEntropyLoss()
    if ty:
        ty.log_params({"epochs": args.epochs, "lr": args.lr, "hidden": args.hidden,
                       "batch_size": args.batch_size, "seed": args.seed, "world_size": world,
                       "train_examples": len(y_train), "validation_examples": len(y_val)})
        ty.set_tag("framework", "pytorch " + torch.__version__ + " ddp gloo")

    def evaluate(x, y):
        model.eval()
        with torch.no_grad():
            logits = model(x)
            return loss_function(logits, y).item(), (logits.argmax(1) == y).float().mean().item()

    started = time.monotonic()
    generator = torch.Generator().manual_seed(args.seed)
    local_batch = args.batch_size // world
    for epoch in range(args.epochs):
        ddp_model.train()
        # Every process draws the same order and takes its own slice of each
        # global batch, so all of them run the same number of steps.
        order = torch.randperm(len(y_train), generator=generator)
        steps = len(order) // args.batch_size
        for step in range(steps):
            start = step * args.batch_size + rank * local_batch
            batch = order[start:start + local_batch]
            optimizer.zero_grad()
            loss = loss_function(ddp_model(x_train[batch]), y_train[batch])
            loss.backward()
            optimizer.step()

        if rank == 0:
            train_loss, train_accuracy = evaluate(x_train, y_train)
            val_loss, val_accuracy = evaluate(x_val, y_val)
            ty.log_metrics({"train/loss": train_loss, "train/accuracy": train_accuracy,
                            "val/loss": val_loss, "val/accuracy": val_accuracy}, step=epoch)
            print(f"epoch {epoch + 1}/{args.epochs}: train loss {train_loss:.4f} "
                  f"accuracy {train_accuracy:.4f}, validation loss {val_loss:.4f} "
                  f"accuracy {val_accuracy:.4f}", flush=True)

    if rank == 0:
        os.makedirs(args.model_dir, exist_ok=True)
        model_path = os.path.join(args.model_dir, "model.pt")
        torch.save(model.state_dict(), model_path)
        ty.close()
        print(f"saved the model to {model_path} after {time.monotonic() - started:.1f} s")
        print(f"final validation accuracy: {val_accuracy:.4f}")
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
