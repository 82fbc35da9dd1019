#!/usr/bin/python3
"""PyTorch reference for Chorus's benchmarks: the same networks, batch size, optimizer and data.

Trains LeNet (conv 5x5x20, max-pool 2, conv 5x5x50, max-pool 2, dense 500, softmax 10; 431,080 parameters)
or the small ResNet (3 stages of 2 basic blocks, 16/32/64 channels, batch norm) on Fashion-MNIST read from
the IDX files, with SGD + Nesterov momentum 0.9, and prints one JSON line: training images/s over the timed
iterations (after warm-up) and inference images/s at batch 500, and which BLAS and thread counts it ran with.
Needs Debian's python3-torch with OpenBLAS (apt-get install python3-torch libopenblas0-pthread: with only the
reference BLAS behind libblas.so.3 it is about 2.5x slower). Debian's OpenBLAS ignores torch.set_num_threads:
run it with OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 for one thread.

  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/pytorch_reference.py --arch lenet --threads 1 --images 15000
"""
import ctypes
import argparse
import gzip
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def find(directory, base):
    for name in (base, base + ".gz"):
        if os.path.exists(os.path.join(directory, name)):
            return os.path.join(directory, name)
    raise FileNotFoundError(f"neither {base} nor {base}.gz in {directory}")


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 20, 5)
        self.conv2 = nn.Conv2d(20, 50, 5)
        self.fc1 = nn.Linear(800, 500)
        self.fc2 = nn.Linear(500, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.b2(self.c2(F.relu(self.b1(self.c1(x)))))
        return F.relu(y + (x if self.short is None else self.short(x)))


class ResNet(nn.Module):
    def __init__(self, width=16, depth=2):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU())
        layers, cin = [], width
        for stage, cout in enumerate((width, 2 * width, 4 * width)):
            for b in range(depth):
                layers.append(Block(cin, cout, 2 if stage > 0 and b == 0 else 1))
                cin = cout
        self.blocks = nn.Sequential(*layers)
        self.fc = nn.Linear(cin, 10)

    def forward(self, x):
        return self.fc(F.adaptive_avg_pool2d(self.blocks(self.stem(x)), 1).flatten(1))


def blas():
    """The BLAS libraries this process has mapped, OpenBLAS's own configuration and thread count, torch's BLAS_INFO."""
    libs = sorted({line.split()[-1] for line in open("/proc/self/maps") if "blas" in line.split()[-1].lower()}
                  if os.path.exists("/proc/self/maps") else [])
    info = {"blas_libraries": [os.path.realpath(l) for l in libs]}
    for lib in libs:
        try:
            so = ctypes.CDLL(lib)
            so.openblas_get_config.restype = ctypes.c_char_p
            info["openblas_config"] = so.openblas_get_config().decode().strip()
            info["openblas_threads"] = so.openblas_get_num_threads()
            break
        except (OSError, AttributeError):
            continue
    config = torch.__config__.show()
    info["torch_blas_info"] = next((part.split("=", 1)[1] for part in config.replace(",", " ").split()
                                    if part.startswith("BLAS_INFO=")), "unknown")
    info["torch_mkldnn"] = torch.backends.mkldnn.is_available()
    info["torch_threads"] = torch.get_num_threads()
    info["env"] = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    return info


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--arch", choices=["lenet", "resnet"], default="lenet")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--images", type=int, default=15000)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(7)
    if not os.path.isdir(a.data) and os.path.isdir("data/fashion-mnist"):
        a.data = "data/fashion-mnist"
    x = read_idx(find(a.data, "train-images-idx3-ubyte"))[: a.images].astype(np.float32) / 255.0
    y = read_idx(find(a.data, "train-labels-idx1-ubyte"))[: a.images].astype(np.int64)
    x = torch.from_numpy((x - x.mean()) / x.std()).unsqueeze(1)
    y = torch.from_numpy(y)
    net = LeNet() if a.arch == "lenet" else ResNet()
    opt = torch.optim.SGD(net.parameters(), lr=0.02, momentum=0.9, nesterov=True, weight_decay=5e-4)
    net.train()
    batches = [(x[i:i + a.batch], y[i:i + a.batch]) for i in range(0, len(x), a.batch)]
    warm = min(10, len(batches) // 10)
    for i, (bx, by) in enumerate(batches):
        if i == warm:
            start, seen = time.perf_counter(), 0
        opt.zero_grad()
        loss = F.cross_entropy(net(bx), by)
        loss.backward()
        opt.step()
        if i >= warm:
            seen += len(bx)
    train_rate = seen / (time.perf_counter() - start)
    net.eval()
    with torch.no_grad():
        net(x[:500])
        start = time.perf_counter()
        for i in range(0, len(x), 500):
            net(x[i:i + 500])
        infer_rate = len(x) / (time.perf_counter() - start)
    print(json.dumps({"framework": "pytorch " + torch.__version__, "arch": a.arch, "threads": a.threads,
                      "batch": a.batch, "train_images_per_second": round(train_rate, 1),
                      "inference_images_per_second": round(infer_rate, 1), "final_loss": round(loss.item(), 4),
                      **blas()}))


if __name__ == "__main__":
    main()
