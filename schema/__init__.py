"""The application's schema: the layer catalogue, a leaf package that imports nothing of ours."""
