"""The scale benchmark: a large generated community and timings of what users wait for."""
