"""Differentiable operations on NumPy arrays, one small class each (see base.py)."""
