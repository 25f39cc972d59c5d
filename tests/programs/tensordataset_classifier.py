# A small classifier in the style of PyTorch's "Build the Neural Network" and "Optimizing
# Model Parameters" tutorials: an nn.Module subclass, TensorDataset and DataLoader, the
# tutorials' train_loop/test_loop, on two interleaved half circles (no download needed).
# The only change from torch is the import lines.
import math

import descentlab as torch
from descentlab import nn
from descentlab.utils.data import DataLoader, TensorDataset, random_split

torch.manual_seed(0)

# Two half circles, one per class, 400 points.
t = torch.linspace(0, math.pi, 200)
upper = torch.stack([torch.cos(t), torch.sin(t)], dim=1)
lower = torch.stack([1 - torch.cos(t), 0.5 - torch.sin(t)], dim=1)
X = torch.cat([upper, lower]) + 0.05 * torch.randn(400, 2)
y = torch.cat([torch.zeros(200, dtype=torch.long), torch.ones(200, dtype=torch.long)])

dataset = TensorDataset(X, y)
train_data, test_data = random_split(dataset, [0.8, 0.2])
train_dataloader = DataLoader(train_data, batch_size=32, shuffle=True)
test_dataloader = DataLoader(test_data, batch_size=32)


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(2, 32),
            nn.ReLU(),
            nn.Linear(32, 32),
            nn.ReLU(),
            nn.Linear(32, 2),
        )

    def forward(self, x):
        logits = self.linear_relu_stack(x)
        return logits


device = "cuda" if torch.cuda.is_available() else "cpu"
model = NeuralNetwork().to(device)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)


def train_loop(dataloader, model, loss_fn, optimizer):
    model.train()
    for batch, (X, y) in enumerate(dataloader):  # noqa: B007 - the tutorial's loop
        pred = model(X.to(device))
        loss = loss_fn(pred, y.to(device))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()


def test_loop(dataloader, model, loss_fn):
    model.eval()
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in dataloader:
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    test_loss /= num_batches
    correct /= size
    print(f"Test Error: \n Accuracy: {(100 * correct):>0.1f}%, Avg loss: {test_loss:>8f} \n")
    return test_loss, correct


epochs = 30
for t in range(epochs):  # noqa: B007 - the tutorial's loop
    train_loop(train_dataloader, model, loss_fn, optimizer)
test_loss, accuracy = test_loop(test_dataloader, model, loss_fn)
