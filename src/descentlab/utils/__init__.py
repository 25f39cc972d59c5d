"""torch.utils's counterpart: ``descentlab.utils.data`` (Dataset, TensorDataset, DataLoader)."""

from descentlab.utils import data

__all__ = ["data"]
