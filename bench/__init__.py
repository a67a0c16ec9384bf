"""The benchmark: python -m bench --scale street|district|city. Not part of the product."""
